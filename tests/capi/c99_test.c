/* A strict C99 consumer of the shared library: kldkit.h compiles with
 * -std=c99 -Wpedantic -Werror, and the exported entry points work from C
 * alone (no C++ runtime in this program). Exit status 0 = pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kldkit.h"

static int failures = 0;

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: %s\n", __FILE__, \
              __LINE__, #cond, kldkit_last_error());             \
      ++failures;                                                \
    }                                                            \
  } while (0)

static void TestVersion(void) {
  CHECK(kldkit_version_number() == KLDKIT_VERSION_NUMBER);
  CHECK(kldkit_abi_version() == KLDKIT_ABI_VERSION);
  CHECK(strcmp(kldkit_status_string(KLDKIT_ERROR_CLOSED), "handle closed") ==
        0);
}

static void TestQuantizeAndCompare(void) {
  /* Base logits {0, 0, 0, 0}: uniform, so the quantized row has scale 0 and
   * every log-prob is log(1/4); model {0, 0, 0, log 3}, i.e. q = {1/6, 1/6,
   * 1/6, 1/2}: the KLD is summed by hand below in double. */
  const float base_logits[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  float model_logits[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  uint16_t words[8];
  kldkit_row base_f32;
  kldkit_row base;
  kldkit_row model;
  kldkit_token_result result = KLDKIT_TOKEN_RESULT_INIT;
  kldkit_quantize_options qopt = KLDKIT_QUANTIZE_OPTIONS_INIT;
  double expect = 0.0;
  int i;
  model_logits[3] = (float)log(3.0);
  base_f32.data = base_logits;
  base_f32.n_vocab = 4;
  base_f32.type = KLDKIT_ROW_F32;
  CHECK(kldkit_llama_row_words(4) == 8);
  CHECK(kldkit_quantize_row(words, 8, &base_f32, &qopt) == KLDKIT_OK);
  base.data = words;
  base.n_vocab = 4;
  base.type = KLDKIT_ROW_LLAMA_U16;
  model.data = model_logits;
  model.n_vocab = 4;
  model.type = KLDKIT_ROW_F32;
  CHECK(kldkit_compare_row(&result, NULL, 0, &base, &model, 3, NULL) ==
        KLDKIT_OK);
  /* p_base = 1/4 each; q = {1/6, 1/6, 1/6, 1/2}. */
  for (i = 0; i < 3; ++i) expect += 0.25 * log(0.25 / (1.0 / 6.0));
  expect += 0.25 * log(0.25 / 0.5);
  CHECK(fabs(result.kld - expect) < 1e-5);
  CHECK(fabs(result.p - 0.5f) < 1e-5f);
  CHECK(result.top == 3);
  CHECK(result.top_base == 0);
  CHECK((result.flags & KLDKIT_TOKEN_INVALID_MASK) == 0);
}

static void TestErrors(void) {
  float out[4];
  kldkit_reader* reader = NULL;
  CHECK(kldkit_log_softmax(out, 4, NULL) == KLDKIT_ERROR_INVALID_ARGUMENT);
  CHECK(kldkit_last_error()[0] != '\0');
  CHECK(kldkit_reader_open(&reader, "/nonexistent/kldkit.logits", NULL) ==
        KLDKIT_ERROR_IO);
  CHECK(reader == NULL);
  kldkit_reader_free(NULL);
  kldkit_llama_writer_free(NULL);
}

/* Every _INIT macro compiles warning-free in C99; an accumulator folds two
 * hand-made tokens and the report and its text come back. */
static void TestAccumulator(void) {
  kldkit_accumulator_options options = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  kldkit_batch_options batch = KLDKIT_BATCH_OPTIONS_INIT;
  kldkit_kldz_options kldz = KLDKIT_KLDZ_OPTIONS_INIT;
  kldkit_kldz_read_options kldz_read = KLDKIT_KLDZ_READ_OPTIONS_INIT;
  const kldkit_kldz_metadata meta[1] = {{"model", "m"}};
  kldkit_token_result t[2] = {KLDKIT_TOKEN_RESULT_INIT,
                              KLDKIT_TOKEN_RESULT_INIT};
  kldkit_report report = KLDKIT_REPORT_INIT;
  kldkit_accumulator* acc = NULL;
  uint8_t* bytes = NULL;
  size_t n = 0;
  char text[64];
  (void)batch;
  kldz.metadata = meta;
  kldz.n_metadata = 1;
  (void)kldz;
  (void)kldz_read;
  t[0].kld = 0.25;
  t[1].kld = 0.75;
  CHECK(kldkit_accumulator_create(&acc, &options) == KLDKIT_OK);
  CHECK(kldkit_accumulator_add(acc, t, 2) == KLDKIT_OK);
  CHECK(kldkit_accumulator_report(&report, acc, 1) == KLDKIT_OK);
  CHECK(report.n_tokens == 2);
  CHECK(fabs(report.kld.value - 0.5) < 1e-12);
  CHECK(kldkit_accumulator_serialize_alloc(&bytes, &n, acc) == KLDKIT_OK);
  CHECK(bytes != NULL && n > 0);
  kldkit_free(bytes);
  CHECK(kldkit_render_text(NULL, 0, &n, &report) == KLDKIT_OK);
  CHECK(n >= 1);
  CHECK(kldkit_render_chunk_header(text, 1, &n) ==
        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_accumulator_free(acc);
}

int main(void) {
  TestVersion();
  TestQuantizeAndCompare();
  TestErrors();
  TestAccumulator();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c99 consumer: all checks passed\n");
  return 0;
}
