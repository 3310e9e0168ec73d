/* Prints what the C compiler makes of capi/kldkit.h for the structs and
 * constants that python/kldkit re-declares by hand (ctypes), so that
 * test_struct_mirrors.py can hold each mirror to the header. One item a line:
 *   <struct> size <sizeof>
 *   <struct>.<field> <offsetof> <sizeof> <kind>
 *   <macro or enumerator> <value>
 *   report_json <kldkit_render_json of a report, on one line>
 * kind: f floating, i signed integer, u unsigned integer, - anything else
 * (pointer, array, struct). Exit status 0 = everything printed. */
#include <stdio.h>
#include <string.h>

#include "kldkit.h"

/* Stored into a field to tell floating fields from integer ones; a
 * variable, not a literal, so no compiler flags the truncation. */
static double half = 0.5;

#define STRUCT(T) printf(#T " size %zu\n", sizeof(T))
#define FIELD(T, f, kind)                                       \
  printf(#T "." #f " %zu %zu %c\n", offsetof(T, f),             \
         sizeof(((T*)0)->f), kind)
/* C99 has no typeof, so the kind of an arithmetic field is found by storing
 * into it: 0.5 stays nonzero only in a floating type, and 0 decremented
 * wraps above 0 only in an unsigned one. */
#define NUM(T, f)                                               \
  do {                                                          \
    T v_;                                                       \
    memset(&v_, 0, sizeof v_);                                  \
    v_.f = half;                                                \
    if (v_.f != 0) {                                            \
      FIELD(T, f, 'f');                                         \
    } else {                                                    \
      --v_.f;                                                   \
      FIELD(T, f, v_.f > 0 ? 'u' : 'i');                        \
    }                                                           \
  } while (0)
#define OTHER(T, f) FIELD(T, f, '-')
#define CONSTANT(name) printf(#name " %ld\n", (long)(name))

static void print_structs(void) {
  STRUCT(kldkit_row);
  OTHER(kldkit_row, data);
  NUM(kldkit_row, n_vocab);
  NUM(kldkit_row, type);

  STRUCT(kldkit_row_batch);
  OTHER(kldkit_row_batch, data);
  NUM(kldkit_row_batch, n_rows);
  NUM(kldkit_row_batch, n_vocab);
  NUM(kldkit_row_batch, stride_bytes);
  NUM(kldkit_row_batch, type);

  STRUCT(kldkit_token_result);
  NUM(kldkit_token_result, struct_size);
  NUM(kldkit_token_result, kld);
  NUM(kldkit_token_result, nll);
  NUM(kldkit_token_result, nll_base);
  NUM(kldkit_token_result, p);
  NUM(kldkit_token_result, p_base);
  NUM(kldkit_token_result, dp);
  NUM(kldkit_token_result, top);
  NUM(kldkit_token_result, top_base);
  NUM(kldkit_token_result, flags);
  NUM(kldkit_token_result, measures_mask);
  OTHER(kldkit_token_result, measures);

  STRUCT(kldkit_quantize_options);
  NUM(kldkit_quantize_options, struct_size);
  NUM(kldkit_quantize_options, floor);
  NUM(kldkit_quantize_options, strict);

  STRUCT(kldkit_compare_options);
  NUM(kldkit_compare_options, struct_size);
  NUM(kldkit_compare_options, mode);
  NUM(kldkit_compare_options, extras);
  OTHER(kldkit_compare_options, top_k);

  STRUCT(kldkit_reader_options);
  NUM(kldkit_reader_options, struct_size);
  NUM(kldkit_reader_options, allow_truncated);

  STRUCT(kldkit_reader_info);
  NUM(kldkit_reader_info, struct_size);
  NUM(kldkit_reader_info, kind);
  NUM(kldkit_reader_info, row_type);
  NUM(kldkit_reader_info, n_ctx);
  NUM(kldkit_reader_info, n_chunk);
  NUM(kldkit_reader_info, n_vocab);
  NUM(kldkit_reader_info, n_rows);
  NUM(kldkit_reader_info, n_rows_expected);
  NUM(kldkit_reader_info, row_len);
  NUM(kldkit_reader_info, n_tokens);
  NUM(kldkit_reader_info, keep);
  NUM(kldkit_reader_info, floor);

  STRUCT(kldkit_accumulator_options);
  NUM(kldkit_accumulator_options, struct_size);
  NUM(kldkit_accumulator_options, percentile_mode);
  NUM(kldkit_accumulator_options, sketch_relative_accuracy);
  NUM(kldkit_accumulator_options, measures);
  OTHER(kldkit_accumulator_options, top_k);

  STRUCT(kldkit_measure_info);
  NUM(kldkit_measure_info, struct_size);
  NUM(kldkit_measure_info, id);
  NUM(kldkit_measure_info, kind);
  OTHER(kldkit_measure_info, name);
  OTHER(kldkit_measure_info, label);
  NUM(kldkit_measure_info, slot);
  NUM(kldkit_measure_info, slots);

  STRUCT(kldkit_measure_stat);
  NUM(kldkit_measure_stat, measure);
  NUM(kldkit_measure_stat, k);
  NUM(kldkit_measure_stat, n);
  NUM(kldkit_measure_stat, n_skipped);
  OTHER(kldkit_measure_stat, mean);
  OTHER(kldkit_measure_stat, second);
  NUM(kldkit_measure_stat, min);
  NUM(kldkit_measure_stat, max);
  OTHER(kldkit_measure_stat, percentiles);

  STRUCT(kldkit_estimate);
  NUM(kldkit_estimate, value);
  NUM(kldkit_estimate, uncertainty);

  STRUCT(kldkit_report);
  NUM(kldkit_report, struct_size);
  NUM(kldkit_report, percentile_mode);
  NUM(kldkit_report, has_statistics);
  NUM(kldkit_report, has_percentiles);
  NUM(kldkit_report, reserved);
  NUM(kldkit_report, sketch_relative_accuracy);
  NUM(kldkit_report, n_tokens);
  NUM(kldkit_report, n_skipped);
  NUM(kldkit_report, n_skipped_model_nan);
  NUM(kldkit_report, n_skipped_model_inf);
  NUM(kldkit_report, n_skipped_model_empty);
  NUM(kldkit_report, n_skipped_base);
  NUM(kldkit_report, n_skipped_non_finite);
  NUM(kldkit_report, n_same_top);
  OTHER(kldkit_report, ln_ppl);
  OTHER(kldkit_report, ln_ppl_base);
  NUM(kldkit_report, ln_ppl_covariance);
  NUM(kldkit_report, ln_ppl_correlation);
  OTHER(kldkit_report, ppl);
  OTHER(kldkit_report, ppl_base);
  OTHER(kldkit_report, ln_ppl_ratio);
  OTHER(kldkit_report, ppl_ratio);
  OTHER(kldkit_report, ppl_diff);
  OTHER(kldkit_report, kld);
  NUM(kldkit_report, kld_max);
  NUM(kldkit_report, kld_min);
  OTHER(kldkit_report, kld_percentiles);
  OTHER(kldkit_report, dp);
  NUM(kldkit_report, dp_max);
  NUM(kldkit_report, dp_min);
  NUM(kldkit_report, dp_max_abs);
  OTHER(kldkit_report, dp_percentiles);
  OTHER(kldkit_report, dp_rms);
  OTHER(kldkit_report, same_top);
  NUM(kldkit_report, n_measure_stats);
  NUM(kldkit_report, reserved2);
  OTHER(kldkit_report, measure_stats);

  STRUCT(kldkit_batch_options);
  NUM(kldkit_batch_options, struct_size);
  NUM(kldkit_batch_options, threads);
  NUM(kldkit_batch_options, mode);
  OTHER(kldkit_batch_options, progress);
  OTHER(kldkit_batch_options, progress_user_data);

  STRUCT(kldkit_kldz_metadata);
  OTHER(kldkit_kldz_metadata, key);
  OTHER(kldkit_kldz_metadata, value);

  STRUCT(kldkit_kldz_options);
  NUM(kldkit_kldz_options, struct_size);
  NUM(kldkit_kldz_options, level);
  NUM(kldkit_kldz_options, threads);
  NUM(kldkit_kldz_options, rows_per_block);
  OTHER(kldkit_kldz_options, metadata);
  NUM(kldkit_kldz_options, n_metadata);
  NUM(kldkit_kldz_options, keep);
  NUM(kldkit_kldz_options, floor);
  NUM(kldkit_kldz_options, allow_partial);
  NUM(kldkit_kldz_options, shard);
  NUM(kldkit_kldz_options, first_chunk);
  NUM(kldkit_kldz_options, end_chunk);

  STRUCT(kldkit_appended_row);
  NUM(kldkit_appended_row, struct_size);
  NUM(kldkit_appended_row, log_sum_exp);
  NUM(kldkit_appended_row, nll);

  STRUCT(kldkit_kldz_read_options);
  NUM(kldkit_kldz_read_options, struct_size);
  NUM(kldkit_kldz_read_options, threads);

  STRUCT(kldkit_compare_files_options);
  NUM(kldkit_compare_files_options, struct_size);
  NUM(kldkit_compare_files_options, mode);
  NUM(kldkit_compare_files_options, threads);
  NUM(kldkit_compare_files_options, force);
  NUM(kldkit_compare_files_options, n_ctx);
  OTHER(kldkit_compare_files_options, tokens_path);
  OTHER(kldkit_compare_files_options, progress);
  OTHER(kldkit_compare_files_options, progress_user_data);
  OTHER(kldkit_compare_files_options, on_chunk);
  OTHER(kldkit_compare_files_options, chunk_user_data);
  OTHER(kldkit_compare_files_options, on_tokens);
  OTHER(kldkit_compare_files_options, tokens_user_data);
  OTHER(kldkit_compare_files_options, on_warning);
  OTHER(kldkit_compare_files_options, warning_user_data);
  NUM(kldkit_compare_files_options, chunk_begin);
  NUM(kldkit_compare_files_options, chunk_end);
  OTHER(kldkit_compare_files_options, save_tokens);
}

static void print_constants(void) {
  CONSTANT(KLDKIT_VERSION_MAJOR);
  CONSTANT(KLDKIT_VERSION_MINOR);
  CONSTANT(KLDKIT_VERSION_PATCH);
  CONSTANT(KLDKIT_VERSION_NUMBER);
  CONSTANT(KLDKIT_ABI_VERSION);

  CONSTANT(KLDKIT_OK);
  CONSTANT(KLDKIT_ERROR_INVALID_ARGUMENT);
  CONSTANT(KLDKIT_ERROR_NON_FINITE);
  CONSTANT(KLDKIT_ERROR_OUT_OF_MEMORY);
  CONSTANT(KLDKIT_ERROR_IO);
  CONSTANT(KLDKIT_ERROR_FORMAT);
  CONSTANT(KLDKIT_ERROR_TRUNCATED);
  CONSTANT(KLDKIT_ERROR_CHECKSUM);
  CONSTANT(KLDKIT_ERROR_MISMATCH);
  CONSTANT(KLDKIT_ERROR_INCOMPATIBLE);
  CONSTANT(KLDKIT_ERROR_UNSUPPORTED);
  CONSTANT(KLDKIT_ERROR_CANCELLED);
  CONSTANT(KLDKIT_ERROR_CLOSED);
  CONSTANT(KLDKIT_ERROR_INTERNAL);

  CONSTANT(KLDKIT_ROW_F32);
  CONSTANT(KLDKIT_ROW_F16);
  CONSTANT(KLDKIT_ROW_BF16);
  CONSTANT(KLDKIT_ROW_LLAMA_U16);

  CONSTANT(KLDKIT_COMPARE_LLAMACPP);
  CONSTANT(KLDKIT_COMPARE_TAIL);
  CONSTANT(KLDKIT_COMPARE_EXACT);

  CONSTANT(KLDKIT_TOKEN_INVALID_MASK);

  CONSTANT(KLDKIT_FILE_LLAMACPP);
  CONSTANT(KLDKIT_FILE_NPY);
  CONSTANT(KLDKIT_FILE_KLDZ);

  CONSTANT(KLDKIT_PERCENTILES_EXACT);
  CONSTANT(KLDKIT_PERCENTILES_SKETCH);
  CONSTANT(KLDKIT_KLD_PERCENTILE_COUNT);
  CONSTANT(KLDKIT_DP_PERCENTILE_COUNT);

  CONSTANT(KLDKIT_MEASURE_SLOTS);
  CONSTANT(KLDKIT_MAX_TOP_K_COUNT);
  CONSTANT(KLDKIT_MAX_TOP_K);
  CONSTANT(KLDKIT_MAX_MEASURE_STATS);
  CONSTANT(KLDKIT_MEASURE_MEAN);
  CONSTANT(KLDKIT_MEASURE_MEAN_PERCENTILES);
  CONSTANT(KLDKIT_MEASURE_PER_K);
  CONSTANT(KLDKIT_MEASURE_TARGET_RANK);
  CONSTANT(KLDKIT_MEASURE_BUCKETS);

  CONSTANT(KLDKIT_KEEP_ALL);
  CONSTANT(KLDKIT_KEEP_KLD);
}

/* The header gives the percentile fractions only in comments; the library
 * names each percentile by its percent in the JSON report, in order. */
static int print_report_json(void) {
  kldkit_report report = KLDKIT_REPORT_INIT;
  char json[16384];
  size_t size = 0;
  size_t i;
  report.has_percentiles = 1;
  if (kldkit_render_json(json, sizeof json, &size, &report) != KLDKIT_OK) {
    fprintf(stderr, "kldkit_render_json: %s\n", kldkit_last_error());
    return 1;
  }
  for (i = 0; json[i] != '\0'; ++i) {
    if (json[i] == '\n') json[i] = ' '; /* whitespace only, outside strings */
  }
  printf("report_json %s\n", json);
  return 0;
}

int main(void) {
  print_structs();
  print_constants();
  return print_report_json();
}
