/*
 * kldkit: KL-divergence metrics for quantized LLMs -- the stable C interface.
 *
 * This header is the contract other tools link to (docs/c-api.md describes
 * the conventions): every symbol starts with kldkit_, every macro with
 * KLDKIT_; only <stddef.h> and <stdint.h> are included; no C++ type or
 * exception crosses it. It compiles as C99 and as C++.
 *
 * Errors: every fallible call returns a kldkit_status; the detail is a
 * one-line message read with kldkit_last_error() on the same thread. No call
 * aborts the host process on bad arguments or bad files.
 *
 * Options structs start with `size_t struct_size`: set it (the _INIT macros
 * and kldkit_*_options_init() do), and the library reads only the fields it
 * covers, defaulting the rest. Output structs with struct_size are filled up
 * to struct_size only. NULL options mean defaults.
 *
 * Handles are opaque, created by kldkit_*_open/_create and released by
 * kldkit_*_free (which accepts NULL). kldkit_*_close ends a handle's work
 * and reports its status; after it, every call on the handle but free
 * returns KLDKIT_ERROR_CLOSED.
 *
 * Anything not declared here is unpublished and may change without notice.
 */
#ifndef KLDKIT_H_
#define KLDKIT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define KLDKIT_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define KLDKIT_API __attribute__((visibility("default")))
#else
#  define KLDKIT_API
#endif

/* ---- Version ------------------------------------------------------------ */

#define KLDKIT_VERSION_MAJOR 0
#define KLDKIT_VERSION_MINOR 1
#define KLDKIT_VERSION_PATCH 0
#define KLDKIT_VERSION_NUMBER \
  (KLDKIT_VERSION_MAJOR * 10000 + KLDKIT_VERSION_MINOR * 100 + KLDKIT_VERSION_PATCH)

/* The ABI generation: the shared library's SONAME is libkldkit.so.<this>.
 * It changes only when a released symbol or struct layout breaks. */
#define KLDKIT_ABI_VERSION 0

/* KLDKIT_VERSION_NUMBER of the library actually loaded (compare with the
 * header's macro to detect a header/library mismatch). Since 0.1. */
KLDKIT_API unsigned kldkit_version_number(void);
/* "MAJOR.MINOR.PATCH" of the loaded library; static storage. Since 0.1. */
KLDKIT_API const char* kldkit_version_string(void);
/* KLDKIT_ABI_VERSION of the loaded library: a program built against this
 * header works with it iff the two are equal. Since 0.1. */
KLDKIT_API unsigned kldkit_abi_version(void);

/* ---- Status codes -------------------------------------------------------- */

/* Values are pinned: they never change once released. */
typedef enum kldkit_status {
  KLDKIT_OK = 0,
  KLDKIT_ERROR_INVALID_ARGUMENT = 1, /* NULL, size, range, wrong row kind */
  KLDKIT_ERROR_NON_FINITE = 2,       /* NaN or +inf where a number is needed */
  KLDKIT_ERROR_OUT_OF_MEMORY = 3,
  KLDKIT_ERROR_IO = 4,               /* the OS refused a read or a write */
  KLDKIT_ERROR_FORMAT = 5,           /* bytes that are not a valid file/state */
  KLDKIT_ERROR_TRUNCATED = 6,        /* valid so far, but ends early */
  KLDKIT_ERROR_CHECKSUM = 7,         /* stored checksum does not match */
  KLDKIT_ERROR_MISMATCH = 8,         /* inputs disagree: vocab, tokens, rows */
  KLDKIT_ERROR_INCOMPATIBLE = 9,     /* merge of differently configured state */
  KLDKIT_ERROR_UNSUPPORTED = 10,     /* future version, unknown element type */
  KLDKIT_ERROR_CANCELLED = 11,       /* a progress callback asked to stop */
  KLDKIT_ERROR_CLOSED = 12,          /* call on a handle already closed */
  KLDKIT_ERROR_INTERNAL = 13         /* a kldkit bug: please report it */
} kldkit_status;

/* A short constant name for a status ("invalid argument"); never NULL;
 * "unknown status" for a value not listed above. Since 0.1. */
KLDKIT_API const char* kldkit_status_string(kldkit_status status);

/* The message of the last failing kldkit call on this thread, or "" if none
 * failed yet. Successful calls leave it unchanged. Never NULL. Valid until
 * the next kldkit call on this thread; copy it to keep it. Since 0.1. */
KLDKIT_API const char* kldkit_last_error(void);

/* ---- Rows ---------------------------------------------------------------- */

/* Element type of a row. Values are pinned. */
typedef enum kldkit_row_type {
  KLDKIT_ROW_F32 = 0,       /* float logits (or log-probabilities) */
  KLDKIT_ROW_F16 = 1,       /* IEEE half logits, as raw uint16_t bits */
  KLDKIT_ROW_BF16 = 2,      /* bfloat16 logits, as raw uint16_t bits */
  KLDKIT_ROW_LLAMA_U16 = 3  /* a llama.cpp row: scale, min_log_prob, codes */
} kldkit_row_type;

/* A view of one next-token distribution over n_vocab tokens. `data` is
 * referenced, never copied or freed: n_vocab elements of `type` (floats or
 * uint16_t), or kldkit_llama_row_words(n_vocab) uint16_t words for
 * KLDKIT_ROW_LLAMA_U16. Any alignment is accepted. Since 0.1. */
typedef struct kldkit_row {
  const void* data;
  size_t n_vocab;
  uint32_t type; /* a kldkit_row_type */
} kldkit_row;

/* Number of uint16_t words in a llama.cpp row of n_vocab tokens: two floats
 * (4 words) then n_vocab codes rounded up to an even count. 0 for
 * n_vocab 0 or a vocabulary too large to address. Since 0.1. */
KLDKIT_API size_t kldkit_llama_row_words(size_t n_vocab);

/* ---- Kernels ------------------------------------------------------------- */
/* Every kernel is reentrant and allocates nothing: call it from any number
 * of threads. Rows are only read. Common statuses: INVALID_ARGUMENT for a
 * NULL pointer, n_vocab 0, an unknown row type, a llama.cpp row where float
 * logits are needed, or an output of the wrong size. */

/* Maximum of a float row and the first index holding it. -inf and +inf
 * entries are valid.
 * @param max_out    receives the maximum; not NULL.
 * @param index_out  receives its first index; not NULL.
 * @param row        a float row (F32, F16, BF16); not NULL.
 * @return OK, INVALID_ARGUMENT, NON_FINITE (a NaN). Since 0.1. */
KLDKIT_API kldkit_status kldkit_max_argmax(float* max_out, size_t* index_out,
                                           const kldkit_row* row);

/* log(sum_i exp(x_i)) of a float row, at most 4 float ulp from the exact
 * value; -inf for a row of -inf only.
 * @param out  receives the value; not NULL.
 * @param row  a float row; not NULL.
 * @return OK, INVALID_ARGUMENT, NON_FINITE (NaN or +inf). Since 0.1. */
KLDKIT_API kldkit_status kldkit_log_sum_exp(float* out, const kldkit_row* row);

/* Log-probabilities of a float row: out[i] = x[i] - log_sum_exp(x).
 * @param out      n_vocab floats written; may be the F32 input itself (in
 *                 place) but must not overlap an F16/BF16 input.
 * @param out_len  floats in `out`: must equal row->n_vocab.
 * @param row      a float row; not NULL.
 * @return OK, INVALID_ARGUMENT, NON_FINITE (NaN, +inf, or no finite entry;
 *         `out` is then unspecified). Since 0.1. */
KLDKIT_API kldkit_status kldkit_log_softmax(float* out, size_t out_len,
                                            const kldkit_row* row);

/* Options of kldkit_quantize_row. Since 0.1. */
typedef struct kldkit_quantize_options {
  size_t struct_size; /* sizeof(kldkit_quantize_options) */
  /* Log-probabilities below max - floor nats get code 0: 16 (llama.cpp,
   * the default) or 24 (ik_llama.cpp); in (0, 1e4]. */
  float floor;
  /* Nonzero: libm expf summed in double, so rows are byte-identical to
   * llama.cpp's. 0 (default): SIMD exp; same codes and scale, min_log_prob
   * within 2 float ulp. */
  uint32_t strict;
} kldkit_quantize_options;

#define KLDKIT_QUANTIZE_OPTIONS_INIT \
  { sizeof(kldkit_quantize_options), 16.0f, 0u }

/* Sets *options to the defaults (the _INIT values). Since 0.1.
 * @return OK, INVALID_ARGUMENT (options NULL). */
KLDKIT_API kldkit_status kldkit_quantize_options_init(
    kldkit_quantize_options* options);

/* Quantizes float logits into a llama.cpp row, as llama-perplexity
 * --kl-divergence-base writes it; the odd-vocabulary padding word is 0.
 * @param out        kldkit_llama_row_words(row->n_vocab) words written.
 * @param out_words  words in `out`: must equal that count.
 * @param logits     a float row; not NULL.
 * @param options    NULL for defaults; struct_size >= sizeof(size_t).
 * @return OK, INVALID_ARGUMENT (also a floor outside (0, 1e4]), NON_FINITE
 *         (NaN, +inf, or no finite entry). Since 0.1. */
KLDKIT_API kldkit_status kldkit_quantize_row(
    uint16_t* out, size_t out_words, const kldkit_row* logits,
    const kldkit_quantize_options* options);

/* Log-probabilities stored in a llama.cpp row: out[i] = scale*u_i +
 * min_log_prob.
 * @param out        n_vocab floats written.
 * @param out_len    floats in `out`: must equal n_vocab.
 * @param row        the row's words; not NULL.
 * @param row_words  words in `row`: must equal kldkit_llama_row_words(n_vocab).
 * @param n_vocab    vocabulary size, >= 1.
 * @return OK, INVALID_ARGUMENT. Since 0.1. */
KLDKIT_API kldkit_status kldkit_dequantize_row(float* out, size_t out_len,
                                               const uint16_t* row,
                                               size_t row_words,
                                               size_t n_vocab);

/* ---- Measures beyond llama.cpp's ------------------------------------------ */

/* Measure ids (docs/measures.md): bit positions of a measure mask (the
 * extras field of kldkit_compare_options and measures of
 * kldkit_accumulator_options). Values are pinned. Since 0.2. */
#define KLDKIT_MEASURE_REVERSE_KLD 0        /* KL(model || base) */
#define KLDKIT_MEASURE_JSD 1                /* Jensen-Shannon, <= ln 2 */
#define KLDKIT_MEASURE_TVD 2                /* total variation, <= 1 */
#define KLDKIT_MEASURE_TOP_K_OVERLAP 3      /* |topK(P) & topK(Q)| / K */
#define KLDKIT_MEASURE_TARGET_IN_TOP_K 4    /* target's rank < K, P and Q */
#define KLDKIT_MEASURE_CONFIDENCE_BUCKETS 5 /* KLD by P's top-1 prob. */
#define KLDKIT_MEASURE_ENTROPY_BASE 6       /* H(base) */
#define KLDKIT_MEASURE_ENTROPY_MODEL 7      /* H(model) */
#define KLDKIT_MEASURE_BIT(id) (1u << (id))

/* How a measure is accumulated and reported (kldkit_measure_info.kind).
 * Values are pinned. */
typedef enum kldkit_measure_kind {
  KLDKIT_MEASURE_MEAN = 0,             /* mean, uncertainty, min, max */
  KLDKIT_MEASURE_MEAN_PERCENTILES = 1, /* and the KLD percentile set */
  KLDKIT_MEASURE_PER_K = 2,            /* a mean per top_k value */
  KLDKIT_MEASURE_TARGET_RANK = 3,      /* rates at K = 1, 5, 10 */
  KLDKIT_MEASURE_BUCKETS = 4           /* per confidence bucket */
} kldkit_measure_kind;

#define KLDKIT_MEASURE_SLOTS 16     /* per-token values of all measures */
#define KLDKIT_MAX_TOP_K_COUNT 4    /* values of K in a top_k list */
#define KLDKIT_MAX_TOP_K 32         /* the largest K */
#define KLDKIT_MAX_MEASURE_STATS 48 /* quantities in a report */

/* One measure of the library's table. The strings are static. */
typedef struct kldkit_measure_info {
  size_t struct_size; /* sizeof(kldkit_measure_info) */
  uint32_t id;        /* a KLDKIT_MEASURE_* id */
  uint32_t kind;      /* a kldkit_measure_kind */
  const char* name;   /* JSON key and CLI name, e.g. "reverse_kld" */
  const char* label;  /* text report label */
  uint32_t slot;      /* first index in kldkit_token_result.measures */
  uint32_t slots;     /* values it holds there */
} kldkit_measure_info;

#define KLDKIT_MEASURE_INFO_INIT \
  { sizeof(kldkit_measure_info), 0u, 0u, NULL, NULL, 0u, 0u }

/* How many measures this library defines (ids 0 .. count - 1). Since 0.2. */
KLDKIT_API uint32_t kldkit_measure_count(void);

/* Describes measure `id`.
 * @param info_out  filled up to info_out->struct_size; not NULL.
 * @return OK, INVALID_ARGUMENT (NULL, id >= kldkit_measure_count()).
 * Since 0.2. */
KLDKIT_API kldkit_status kldkit_measure_describe(kldkit_measure_info* info_out,
                                                 uint32_t id);

/* ---- Per-token comparison -------------------------------------------------- */

/* How a base row and a model row are compared. Values are pinned. */
typedef enum kldkit_compare_mode {
  /* llama.cpp's definitions exactly: llama.cpp base row; KLD over tokens
   * with base log-prob > -16 only; model = float logits (renormalised) or a
   * stored llama.cpp row (read as stored). */
  KLDKIT_COMPARE_LLAMACPP = 0,
  /* The llama.cpp base row as a proper distribution: the base mass dropped
   * by the floor is compared with the model's mass on the same tokens. */
  KLDKIT_COMPARE_TAIL = 1,
  /* Two float rows, both normalised over the full vocabulary. */
  KLDKIT_COMPARE_EXACT = 2
} kldkit_compare_mode;

/* Options of kldkit_compare_row. Since 0.1. */
typedef struct kldkit_compare_options {
  size_t struct_size; /* sizeof(kldkit_compare_options) */
  uint32_t mode;      /* a kldkit_compare_mode; default LLAMACPP */
  /* Measures to compute (KLDKIT_MEASURE_BIT of their ids); default 0.
   * 0.1 defined none and required 0. */
  uint32_t extras;
  /* Since 0.2: the K of KLDKIT_MEASURE_TOP_K_OVERLAP, each in 1..32, 0
   * ends the list; default 5, 10. */
  uint32_t top_k[KLDKIT_MAX_TOP_K_COUNT];
} kldkit_compare_options;

#define KLDKIT_COMPARE_OPTIONS_INIT                                    \
  { sizeof(kldkit_compare_options), KLDKIT_COMPARE_LLAMACPP, 0u,       \
    { 5u, 10u, 0u, 0u } }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_compare_options_init(
    kldkit_compare_options* options);

/* Bits of kldkit_token_result.flags. A result with any KLDKIT_TOKEN_INVALID
 * bit holds NaN statistics and -1 tops: skip and count it, never average. */
#define KLDKIT_TOKEN_SAME_TOP (1u << 0)            /* top == top_base */
#define KLDKIT_TOKEN_INVALID_MODEL_NAN (1u << 1)   /* model row holds a NaN */
#define KLDKIT_TOKEN_INVALID_MODEL_INF (1u << 2)   /* model row holds +inf */
#define KLDKIT_TOKEN_INVALID_MODEL_EMPTY (1u << 3) /* every model logit -inf */
#define KLDKIT_TOKEN_INVALID_BASE (1u << 4)        /* bad base row */
#define KLDKIT_TOKEN_INVALID_MASK (0x1Eu)

/* What one scored token contributes to a report. An output struct: set
 * struct_size (KLDKIT_TOKEN_RESULT_INIT) and the library fills the fields
 * it covers. Since 0.1. */
typedef struct kldkit_token_result {
  size_t struct_size; /* sizeof(kldkit_token_result) */
  double kld;         /* KL(base || model), nats */
  float nll;          /* -log p_model(target), nats */
  float nll_base;     /* -log p_base(target), nats */
  float p;            /* exp(-nll) */
  float p_base;       /* exp(-nll_base) */
  float dp;           /* p - p_base */
  int32_t top;        /* model's top-1 token (first index of the maximum) */
  int32_t top_base;   /* base's top-1 token */
  uint32_t flags;     /* KLDKIT_TOKEN_* bits */
  /* Since 0.2: the measures computed (a mask; 0 when none was asked for
   * or the result is invalid) and their values by slot
   * (kldkit_measure_info), NaN where not computed. */
  uint32_t measures_mask;
  double measures[KLDKIT_MEASURE_SLOTS];
} kldkit_token_result;

#define KLDKIT_TOKEN_RESULT_INIT                                            \
  { sizeof(kldkit_token_result), 0.0, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, -1, -1, \
    0u, 0u, { 0.0 } }

/* Compares one base row with one model row for the token `target`, in one
 * pass over both rows. LLAMACPP and TAIL take a llama.cpp base row and a
 * float or llama.cpp model row; EXACT takes two float rows. Non-finite data
 * never fails: it sets KLDKIT_TOKEN_INVALID_* flags. A -inf model logit on
 * a token the base keeps gives kld = +inf.
 * @param result_out  filled up to result_out->struct_size (at least
 *                    sizeof(size_t) + sizeof(double)); not NULL.
 * @param extras_out  the values of the measures options->extras asks for,
 *                    in bit order, each measure's slots in order (also in
 *                    result_out->measures when its struct_size covers
 *                    them); NULL with extras_len 0.
 * @param base        base row; not NULL. Same n_vocab as `model`.
 * @param model       model row; not NULL.
 * @param target      token id, 0 <= target < n_vocab.
 * @param options     NULL for defaults.
 * @return OK, INVALID_ARGUMENT (also unknown mode, a row kind the mode does
 *         not take, target out of range, vocab sizes differ, unknown
 *         measure bits, a bad top_k, extras_len below the values asked
 *         for). 0.1 returned UNSUPPORTED for any extras. TAIL with a
 *         llama.cpp model row gives the lumped KL of docs/measures.md
 *         since 0.2 (0.1 read the model's floor codes at their floor value
 *         and could return a KLD below zero). Since 0.1. */
KLDKIT_API kldkit_status kldkit_compare_row(
    kldkit_token_result* result_out, double* extras_out, size_t extras_len,
    const kldkit_row* base, const kldkit_row* model, int32_t target,
    const kldkit_compare_options* options);

/* ---- Reading rows from files ---------------------------------------------- */

/* What a kldkit_reader opened, told apart by the file's magic bytes.
 * Values are pinned. */
typedef enum kldkit_file_kind {
  KLDKIT_FILE_LLAMACPP = 1, /* llama.cpp `_logits_` base file */
  KLDKIT_FILE_NPY = 2,      /* NumPy .npy array (f32, f16 or i32) */
  KLDKIT_FILE_KLDZ = 3      /* kldkit .kldz container of llama.cpp rows */
} kldkit_file_kind;

/* A file of rows, open for reading. Reads (read_row_*, read_tokens,
 * target_token, info, metadata_*) may run concurrently on one reader from
 * several threads; close and free must not race with any other call on
 * it. */
typedef struct kldkit_reader kldkit_reader;

/* Options of kldkit_reader_open. Since 0.1. */
typedef struct kldkit_reader_options {
  size_t struct_size; /* sizeof(kldkit_reader_options) */
  /* Nonzero: open a llama.cpp file that ends early and expose its complete
   * rows (salvage). Default 0: such a file fails with TRUNCATED. */
  uint32_t allow_truncated;
} kldkit_reader_options;

#define KLDKIT_READER_OPTIONS_INIT { sizeof(kldkit_reader_options), 0u }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_options_init(
    kldkit_reader_options* options);

/* Opens `path`: a llama.cpp file, a .kldz container (read like a llama.cpp
 * file: llama.cpp rows, tokens and targets) or a .npy array (1-D or 2-D,
 * C order).
 * The header is validated against the file size; rows are read on demand
 * (memory: the tokens only).
 * @param reader_out  receives the new handle (free it with
 *                    kldkit_reader_free), NULL on failure; not NULL.
 * @param path        NUL-terminated file name; not NULL.
 * @param options     NULL for defaults.
 * @return OK, INVALID_ARGUMENT, IO (cannot open or read), FORMAT (unknown
 *         magic, malformed header), TRUNCATED, CHECKSUM (.kldz),
 *         UNSUPPORTED (a future .kldz version; other .npy dtypes or
 *         layouts), OUT_OF_MEMORY.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_open(kldkit_reader** reader_out,
                                            const char* path,
                                            const kldkit_reader_options* options);

/* Releases the file; the handle then only answers CLOSED (until free).
 * @return OK, INVALID_ARGUMENT (NULL), CLOSED (closed before). Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_close(kldkit_reader* reader);

/* Closes (if needed) and frees the handle. Accepts NULL. Since 0.1. */
KLDKIT_API void kldkit_reader_free(kldkit_reader* reader);

/* Facts about an open reader. An output struct: set struct_size
 * (KLDKIT_READER_INFO_INIT). Since 0.1. */
typedef struct kldkit_reader_info {
  size_t struct_size;    /* sizeof(kldkit_reader_info) */
  uint32_t kind;         /* a kldkit_file_kind */
  /* Type of the rows read_row_* gives: KLDKIT_ROW_LLAMA_U16 for llama.cpp
   * files (read_row_u16), KLDKIT_ROW_F32 for float .npy arrays (f16 is
   * widened; read_row_f32); UINT32_MAX for an int32 .npy (tokens only). */
  uint32_t row_type;
  uint32_t n_ctx;        /* llama.cpp header; 0 for .npy */
  int32_t n_chunk;       /* llama.cpp header; 0 for .npy */
  uint64_t n_vocab;      /* tokens per row (the .npy's last dimension) */
  uint64_t n_rows;       /* complete rows readable (0 for an int32 .npy) */
  uint64_t n_rows_expected; /* rows the header promises (= n_rows for .npy) */
  uint64_t row_len;      /* elements read_row_* writes per row */
  uint64_t n_tokens;     /* token ids: n_ctx * n_chunk, or an int32 .npy's
                            elements; 0 for a float .npy */
  /* Since 0.2. What a .kldz keeps of each row: a kldkit_keep_profile
   * (KLDKIT_KEEP_ALL for llama.cpp files and .npy arrays). */
  uint32_t keep;
  /* Since 0.2. The rows' floor in nats (16 llama.cpp, 24 ik_llama.cpp): a
   * .kldz's recorded floor, else the largest span (65535 * scale) of the
   * first 256 rows; 0 for .npy arrays (docs/floors.md). */
  float floor;
} kldkit_reader_info;

#define KLDKIT_READER_INFO_INIT \
  { sizeof(kldkit_reader_info), 0u, 0u, 0u, 0, 0u, 0u, 0u, 0u, 0u, 0u, 0.0f }

/* Fills *info_out up to info_out->struct_size, which must cover at least
 * `kind`; reader is not NULL.
 * @return OK, INVALID_ARGUMENT (NULL, struct_size too small), CLOSED.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_info_get(kldkit_reader_info* info_out,
                                                const kldkit_reader* reader);

/* Copies token ids [first, first + out_len) of the file (chunk after chunk
 * for a llama.cpp file, C order for an int32 .npy).
 * @param out      out_len int32_t written; may be NULL if out_len is 0.
 * @return OK, INVALID_ARGUMENT (NULL, range past n_tokens), CLOSED.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_read_tokens(int32_t* out,
                                                   size_t out_len,
                                                   const kldkit_reader* reader,
                                                   uint64_t first);

/* Token predicted by row `row` of a llama.cpp file (row i of chunk c
 * predicts tokens[c*n_ctx + n_ctx/2 + i + 1]).
 * @param token_out  receives the id; not NULL.
 * @param row        0 <= row < n_rows_expected.
 * @return OK, INVALID_ARGUMENT (NULL, row out of range, not a llama.cpp
 *         file), CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_target_token(int32_t* token_out,
                                                    const kldkit_reader* reader,
                                                    uint64_t row);

/* Copies row `row` of a llama.cpp file (row_len words).
 * @param out      row_len words written; not NULL.
 * @param out_len  words in `out`: must equal info.row_len.
 * @param row      0 <= row < n_rows.
 * @return OK, INVALID_ARGUMENT (NULL, size, range, or not a llama.cpp
 *         file), IO, TRUNCATED (the file shrank), CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_read_row_u16(uint16_t* out,
                                                    size_t out_len,
                                                    const kldkit_reader* reader,
                                                    uint64_t row);

/* Defined with the .kldz functions below. */
struct kldkit_kldz_read_options;

/* Copies rows [first, first + count) of a llama.cpp file or .kldz
 * container, one after another (count * row_len words): in one call what
 * count calls of kldkit_reader_read_row_u16 give. A container decodes on
 * the calling thread, one block at a time, as read_row_u16 does; with
 * options->threads above 1, that many worker threads decode the range's
 * blocks ahead of the copy. The words do not depend on the thread count.
 * @param out      out_len words written; may be NULL if count is 0.
 * @param out_len  words in `out`: must equal count * info.row_len.
 * @param first    first row; first + count <= n_rows.
 * @param options  NULL for one thread; threads 1..64. A llama.cpp file
 *                 ignores the thread count (its rows need no decoding).
 * @return OK, INVALID_ARGUMENT (NULL, size, range, threads, or not a
 *         llama.cpp file), IO, TRUNCATED (the file shrank), CHECKSUM and
 *         FORMAT (a damaged .kldz block: `out` then holds part of the
 *         rows), CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_read_rows_u16(
    uint16_t* out, size_t out_len, const kldkit_reader* reader,
    uint64_t first, uint64_t count,
    const struct kldkit_kldz_read_options* options);

/* Copies row `row` of a float .npy array as float32 (row_len floats).
 * @param out      row_len floats written; not NULL.
 * @param out_len  floats in `out`: must equal info.row_len.
 * @param row      0 <= row < n_rows.
 * @return OK, INVALID_ARGUMENT (NULL, size, range, or not a float array),
 *         IO, TRUNCATED, CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_read_row_f32(float* out, size_t out_len,
                                                    const kldkit_reader* reader,
                                                    uint64_t row);

/* Number of metadata entries of the file: a .kldz container's
 * (docs/FORMAT.md); 0 for llama.cpp files and .npy arrays, which hold none.
 * @param count_out  receives the count; not NULL.
 * @return OK, INVALID_ARGUMENT (NULL), CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_metadata_count(
    size_t* count_out, const kldkit_reader* reader);

/* Key of metadata entry `index` (0 <= index < count; entries come in the
 * byte order of their keys), as NUL-terminated text, with the text-output
 * rules of kldkit_render_text (size query: out NULL, out_len 0).
 * @return OK, INVALID_ARGUMENT (NULL, index out of range, short buffer),
 *         CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_metadata_key(
    char* out, size_t out_len, size_t* size_out, const kldkit_reader* reader,
    size_t index);

/* Value of metadata entry `index`, as kldkit_reader_metadata_key. Values
 * are bytes (UTF-8 by convention): all *size_out - 1 of them are copied,
 * then a NUL, so a value holding a NUL byte (written by another tool)
 * comes back whole.
 * @return OK, INVALID_ARGUMENT (NULL, index out of range, short buffer),
 *         CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_reader_metadata_value(
    char* out, size_t out_len, size_t* size_out, const kldkit_reader* reader,
    size_t index);

/* ---- Writing llama.cpp files ------------------------------------------------ */

/* Writes a llama.cpp `_logits_` file row by row, to `path`.tmp, renamed to
 * `path` by a successful close once every row is in: an interrupted write
 * never leaves a complete-looking file. Not thread-safe: one thread at a
 * time per writer. */
typedef struct kldkit_llama_writer kldkit_llama_writer;

/* Creates `path`.tmp and writes the header and the tokens.
 * @param writer_out  receives the handle (free with
 *                    kldkit_llama_writer_free), NULL on failure; not NULL.
 * @param path        NUL-terminated final file name; not NULL.
 * @param n_ctx       context length, >= 3 (llama.cpp scores positions
 *                    n_ctx/2 .. n_ctx-2 of each chunk).
 * @param n_vocab     vocabulary size, >= 1.
 * @param n_chunk     chunks, >= 1.
 * @param tokens      n_tokens ids in 0..n_vocab-1, copied (chunk after
 *                    chunk); not NULL.
 * @param n_tokens    must equal n_ctx * n_chunk.
 * @return OK, INVALID_ARGUMENT (also a bad header field, n_tokens, a token
 *         outside the vocabulary), IO, OUT_OF_MEMORY.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_llama_writer_create(
    kldkit_llama_writer** writer_out, const char* path, uint32_t n_ctx,
    int32_t n_vocab, int32_t n_chunk, const int32_t* tokens, size_t n_tokens);

/* Appends one stored row of kldkit_llama_row_words(n_vocab) words.
 * @return OK, INVALID_ARGUMENT (NULL, row_words), MISMATCH (more rows than
 *         n_chunk * rows per chunk), IO, CLOSED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_llama_writer_append_row(
    kldkit_llama_writer* writer, const uint16_t* row, size_t row_words);

/* Quantizes float logits (kldkit_quantize_row with `options`, NULL for
 * defaults) and appends the row. logits->n_vocab must equal the file's.
 * @return as kldkit_quantize_row and kldkit_llama_writer_append_row.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_llama_writer_append_logits(
    kldkit_llama_writer* writer, const kldkit_row* logits,
    const kldkit_quantize_options* options);

/* Flushes, checks that every row is in, syncs and renames to `path`. The
 * handle is closed whatever the outcome; on failure nothing is left at
 * `path` or `path`.tmp.
 * @return OK, MISMATCH (rows missing), IO, INVALID_ARGUMENT (NULL), CLOSED
 *         (closed before). Since 0.1. */
KLDKIT_API kldkit_status kldkit_llama_writer_close(kldkit_llama_writer* writer);

/* Frees the handle; an unclosed writer removes its temporary file. Accepts
 * NULL. Since 0.1. */
KLDKIT_API void kldkit_llama_writer_free(kldkit_llama_writer* writer);

/* ---- File conversion -------------------------------------------------------- */

/* Options of kldkit_convert_logits_file. Since 0.1. */
typedef struct kldkit_convert_options {
  size_t struct_size; /* sizeof(kldkit_convert_options) */
  /* Context length; 0 (default): from the tokens file (a llama.cpp header,
   * or the second dimension of a 2-D int32 .npy). */
  uint32_t n_ctx;
  float floor;        /* as kldkit_quantize_options.floor; default 16 */
  uint32_t strict;    /* as kldkit_quantize_options.strict; default 0 */
} kldkit_convert_options;

#define KLDKIT_CONVERT_OPTIONS_INIT \
  { sizeof(kldkit_convert_options), 0u, 16.0f, 0u }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_convert_options_init(
    kldkit_convert_options* options);

/* Writes a llama.cpp base file at `out_path` from float logits (an f32 or
 * f16 .npy of shape [rows, n_vocab], rows in llama.cpp file order) and
 * token ids (an int32 .npy, or a llama.cpp file whose tokens and n_ctx are
 * used). Streams: memory is one row plus the tokens. Nothing is left at
 * `out_path` on failure.
 * @param rows_out     receives the rows written; may be NULL.
 * @param out_path, logits_npy, tokens_path  file names; not NULL.
 * @param options      NULL for defaults.
 * @return OK, INVALID_ARGUMENT, MISMATCH (row count, n_ctx, n_vocab, a token
 *         outside the vocabulary), NON_FINITE (a row with NaN or +inf), IO,
 *         FORMAT, TRUNCATED, UNSUPPORTED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_convert_logits_file(
    uint64_t* rows_out, const char* out_path, const char* logits_npy,
    const char* tokens_path, const kldkit_convert_options* options);

/* Copies the complete chunks of a possibly truncated llama.cpp file (an
 * interrupted run) into a valid file at `out_path`; a complete input is
 * copied byte for byte.
 * @param rows_kept_out     receives the rows kept; may be NULL.
 * @param rows_dropped_out  receives the complete rows of the partial last
 *                          chunk, which the format cannot keep; may be NULL.
 * @return OK, INVALID_ARGUMENT (NULL path), TRUNCATED (no complete chunk),
 *         FORMAT, IO. Since 0.1. */
KLDKIT_API kldkit_status kldkit_salvage_llama_file(uint64_t* rows_kept_out,
                                                   uint64_t* rows_dropped_out,
                                                   const char* out_path,
                                                   const char* in_path);

/* ---- Memory -------------------------------------------------------------- */

/* Frees a buffer kldkit allocated for the caller (kldkit_*_alloc outputs).
 * Accepts NULL. Since 0.1. */
KLDKIT_API void kldkit_free(void* buffer);

/* ---- Accumulators and reports -------------------------------------------- */

/* How an accumulator obtains percentiles. Values are pinned. */
typedef enum kldkit_percentile_mode {
  /* Store every value and sort: llama.cpp's definition exactly (8 bytes per
   * token). The default. */
  KLDKIT_PERCENTILES_EXACT = 0,
  /* A relative-error quantile sketch of bounded memory (about 1.1 MB at
   * accuracy 1e-3, scaling as 1/accuracy). */
  KLDKIT_PERCENTILES_SKETCH = 1
} kldkit_percentile_mode;

/* Options of kldkit_accumulator_create. Since 0.1. */
typedef struct kldkit_accumulator_options {
  size_t struct_size;        /* sizeof(kldkit_accumulator_options) */
  uint32_t percentile_mode;  /* a kldkit_percentile_mode; default EXACT */
  /* Relative accuracy of the sketch, in [1e-6, 0.1]; default 1e-3. */
  double sketch_relative_accuracy;
  /* Since 0.2: the measures folded (KLDKIT_MEASURE_BIT of their ids) and
   * the K of the top-K overlap, as in kldkit_compare_options; default
   * none, and 5, 10. Accumulators merge only with equal ones. */
  uint32_t measures;
  uint32_t top_k[KLDKIT_MAX_TOP_K_COUNT];
} kldkit_accumulator_options;

#define KLDKIT_ACCUMULATOR_OPTIONS_INIT                               \
  { sizeof(kldkit_accumulator_options), KLDKIT_PERCENTILES_EXACT, 1e-3, \
    0u, { 5u, 10u, 0u, 0u } }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_options_init(
    kldkit_accumulator_options* options);

/* Folds kldkit_token_results into llama.cpp's statistics; mergeable and
 * serialisable. Not thread-safe: one thread at a time per accumulator (use
 * one per thread and merge). */
typedef struct kldkit_accumulator kldkit_accumulator;

/* Creates an empty accumulator.
 * @param acc_out  receives the handle (free with kldkit_accumulator_free),
 *                 NULL on failure; not NULL.
 * @param options  NULL for defaults.
 * @return OK, INVALID_ARGUMENT (also an unknown mode or an accuracy outside
 *         [1e-6, 0.1]), OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_create(
    kldkit_accumulator** acc_out, const kldkit_accumulator_options* options);

/* Frees the handle. Accepts NULL. Since 0.1. */
KLDKIT_API void kldkit_accumulator_free(kldkit_accumulator* acc);

/* Folds n_results token results. Elements lie results[0].struct_size bytes
 * apart and each must carry that struct_size, which must cover `flags`. A
 * result with KLDKIT_TOKEN_INVALID_* flags (or a NaN/inf field) is counted
 * as skipped, never averaged.
 * @param results  may be NULL if n_results is 0.
 * @return OK, INVALID_ARGUMENT. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_add(
    kldkit_accumulator* acc, const kldkit_token_result* results,
    size_t n_results);

/* Absorbs `other` (unchanged; must not be `acc` itself).
 * @return OK, INVALID_ARGUMENT (NULL, same handle, or more than 2^64 - 1
 *         tokens together), INCOMPATIBLE (the options differ). Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_merge(
    kldkit_accumulator* acc, const kldkit_accumulator* other);

/* The accumulator's portable, versioned bytes (docs/accumulator-encoding.md).
 * Size query: out NULL and out_len 0 set *size_out only.
 * @param out       out_len bytes; receives *size_out bytes.
 * @param size_out  receives the encoding's size in bytes; not NULL.
 * @return OK, INVALID_ARGUMENT (NULL, out_len < *size_out: nothing is
 *         written, *size_out is set), OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_serialize(
    uint8_t* out, size_t out_len, size_t* size_out,
    const kldkit_accumulator* acc);

/* As kldkit_accumulator_serialize into a buffer kldkit allocates: free
 * *bytes_out with kldkit_free. *bytes_out is NULL on failure.
 * @return OK, INVALID_ARGUMENT, OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_serialize_alloc(
    uint8_t** bytes_out, size_t* size_out, const kldkit_accumulator* acc);

/* A new accumulator holding the state in `bytes`, with the options stored
 * there.
 * @return OK, INVALID_ARGUMENT (NULL), FORMAT, TRUNCATED, CHECKSUM,
 *         UNSUPPORTED (a future encoding), OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_deserialize(
    kldkit_accumulator** acc_out, const uint8_t* bytes, size_t n_bytes);

/* Decodes `bytes` and merges them into acc, all or nothing.
 * @return as kldkit_accumulator_deserialize, and INCOMPATIBLE (the stored
 *         options differ from acc's). Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_decode_merge(
    kldkit_accumulator* acc, const uint8_t* bytes, size_t n_bytes);

#define KLDKIT_KLD_PERCENTILE_COUNT 9
#define KLDKIT_DP_PERCENTILE_COUNT 11

/* A value and its standard uncertainty (0 where llama.cpp gives none). */
typedef struct kldkit_estimate {
  double value;
  double uncertainty;
} kldkit_estimate;

/* One reported quantity of a measure (mirrors kldkit::MeasureStat), by
 * the measure's kind: MEAN, MEAN_PERCENTILES: k 0, mean, extremes (and
 * percentiles); PER_K: one per K, k = K; TARGET_RANK: one per K of 1, 5,
 * 10, mean = the rate under the base, second = under the model; BUCKETS:
 * one per bucket, k its index (edges 0, .25, .5, .75, .95, 1), mean = its
 * mean KLD, second = its same-top fraction. Since 0.2. */
typedef struct kldkit_measure_stat {
  uint32_t measure;        /* a KLDKIT_MEASURE_* id */
  uint32_t k;
  uint64_t n;              /* tokens folded */
  uint64_t n_skipped;      /* tokens whose value was NaN or infinite */
  kldkit_estimate mean;
  kldkit_estimate second;
  double min;
  double max;
  double percentiles[KLDKIT_KLD_PERCENTILE_COUNT];
} kldkit_measure_stat;

/* Every number of llama.cpp's final block and per-chunk line (mirrors
 * kldkit::Report). Probabilities and dp are fractions; ln values in nats.
 * An output struct: set struct_size (KLDKIT_REPORT_INIT); as an input of
 * the render functions it must hold every field up to same_top (0.1's
 * report), and its measures are read when struct_size covers them.
 * Since 0.1. */
typedef struct kldkit_report {
  size_t struct_size;               /* sizeof(kldkit_report) */
  uint32_t percentile_mode;         /* a kldkit_percentile_mode */
  uint32_t has_statistics;          /* 1: n_tokens >= 100 */
  uint32_t has_percentiles;         /* 0: percentile fields are NaN */
  uint32_t reserved;                /* 0 */
  double sketch_relative_accuracy;  /* when percentile_mode is SKETCH */
  uint64_t n_tokens;                /* valid tokens: the n of every mean */
  uint64_t n_skipped;               /* sum of the next five */
  uint64_t n_skipped_model_nan;
  uint64_t n_skipped_model_inf;
  uint64_t n_skipped_model_empty;
  uint64_t n_skipped_base;
  uint64_t n_skipped_non_finite;    /* flags valid but a field NaN, inf or
                                      beyond 1e18 (its square overflows) */
  uint64_t n_same_top;
  kldkit_estimate ln_ppl;           /* mean nll of the model */
  kldkit_estimate ln_ppl_base;
  double ln_ppl_covariance;
  double ln_ppl_correlation;
  kldkit_estimate ppl;
  kldkit_estimate ppl_base;
  kldkit_estimate ln_ppl_ratio;
  kldkit_estimate ppl_ratio;
  kldkit_estimate ppl_diff;
  kldkit_estimate kld;
  double kld_max;
  double kld_min;
  /* At 0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001. */
  double kld_percentiles[KLDKIT_KLD_PERCENTILE_COUNT];
  kldkit_estimate dp;
  double dp_max;
  double dp_min;
  double dp_max_abs;
  /* At 0.999, 0.99, 0.95, 0.90, 0.75, 0.5, 0.25, 0.10, 0.05, 0.01, 0.001. */
  double dp_percentiles[KLDKIT_DP_PERCENTILE_COUNT];
  kldkit_estimate dp_rms;
  kldkit_estimate same_top;         /* fraction of agreeing top-1 tokens */
  /* Since 0.2: the measures' quantities, in measure id order. A report of
   * 0.1's size (struct_size ending before these) renders as one without
   * measures. */
  uint32_t n_measure_stats;
  uint32_t reserved2;               /* 0 */
  kldkit_measure_stat measure_stats[KLDKIT_MAX_MEASURE_STATS];
} kldkit_report;

#define KLDKIT_ESTIMATE_ZERO_ { 0.0, 0.0 }
#define KLDKIT_REPORT_INIT                                                    \
  { sizeof(kldkit_report), 0u, 0u, 0u, 0u, 0.0,                               \
    0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u,                                           \
    KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_, 0.0, 0.0,                   \
    KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_,      \
    KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_,      \
    0.0, 0.0, { 0.0 }, KLDKIT_ESTIMATE_ZERO_, 0.0, 0.0, 0.0, { 0.0 },         \
    KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_, 0u, 0u,                    \
    { { 0u, 0u, 0u, 0u, KLDKIT_ESTIMATE_ZERO_, KLDKIT_ESTIMATE_ZERO_, 0.0,   \
        0.0, { 0.0 } } } }

/* The statistics so far.
 * @param report_out        filled up to report_out->struct_size, which must
 *                          cover `n_tokens`; not NULL.
 * @param with_percentiles  0 skips the sort (per-chunk lines): percentile
 *                          fields are then NaN.
 * @return OK, INVALID_ARGUMENT, OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_accumulator_report(
    kldkit_report* report_out, const kldkit_accumulator* acc,
    int with_percentiles);

/* Text outputs: `out` receives the NUL-terminated text when out_len is at
 * least *size_out (the text's length + 1); a size query passes out NULL and
 * out_len 0. A shorter buffer gives INVALID_ARGUMENT, writes nothing and
 * still sets *size_out.
 * @return OK, INVALID_ARGUMENT (NULL, short buffer, incomplete report). */

/* llama.cpp's final statistics blocks, its labels and formats, and (since
 * 0.2) a fourth block with the report's measures. Since 0.1. */
KLDKIT_API kldkit_status kldkit_render_text(char* out, size_t out_len,
                                            size_t* size_out,
                                            const kldkit_report* report);

/* Every field as JSON, schema "kldkit.report" version 1
 * (docs/report-json.md). Since 0.1. */
KLDKIT_API kldkit_status kldkit_render_json(char* out, size_t out_len,
                                            size_t* size_out,
                                            const kldkit_report* report);

/* The column header printed above per-chunk lines. Since 0.1. */
KLDKIT_API kldkit_status kldkit_render_chunk_header(char* out, size_t out_len,
                                                    size_t* size_out);

/* One per-chunk line (chunk >= 1) from a report of the running totals,
 * with its trailing newline. Since 0.1. */
KLDKIT_API kldkit_status kldkit_render_chunk_line(char* out, size_t out_len,
                                                  size_t* size_out, int chunk,
                                                  const kldkit_report* running);

/* The four renderings above into memory kldkit allocates: *text_out gets
 * the NUL-terminated text (free it with kldkit_free), NULL on failure; no
 * size query needed.
 * @return as the call they mirror, and INVALID_ARGUMENT for text_out NULL,
 *         OUT_OF_MEMORY. Since 0.2. */
KLDKIT_API kldkit_status kldkit_render_text_alloc(char** text_out,
                                                  const kldkit_report* report);
KLDKIT_API kldkit_status kldkit_render_json_alloc(char** text_out,
                                                  const kldkit_report* report);
KLDKIT_API kldkit_status kldkit_render_chunk_header_alloc(char** text_out);
KLDKIT_API kldkit_status kldkit_render_chunk_line_alloc(
    char** text_out, int chunk, const kldkit_report* running);

/* ---- Batch comparison ---------------------------------------------------- */

/* n_rows rows of one vocabulary in one buffer: row i starts at
 * data + i * stride_bytes (a C-contiguous 2-D array: stride = row bytes).
 * Referenced, never copied. Since 0.1. */
typedef struct kldkit_row_batch {
  const void* data;    /* may be NULL when n_rows is 0 */
  size_t n_rows;
  size_t n_vocab;      /* >= 1 */
  size_t stride_bytes; /* >= a row's bytes, a multiple of the element size */
  uint32_t type;       /* a kldkit_row_type */
} kldkit_row_batch;

/* Called between groups of rows with the rows done so far; returning
 * nonzero cancels the call (KLDKIT_ERROR_CANCELLED, accumulator unchanged).
 * Called on the thread that called kldkit_compare_batch. */
typedef int (*kldkit_progress_fn)(void* user_data, uint64_t rows_done,
                                  uint64_t rows_total);

/* Options of kldkit_compare_batch. Since 0.1. */
typedef struct kldkit_batch_options {
  size_t struct_size;  /* sizeof(kldkit_batch_options) */
  uint32_t threads;    /* 1..1024; default 1 (the caller's thread) */
  uint32_t mode;       /* a kldkit_compare_mode; default LLAMACPP */
  kldkit_progress_fn progress; /* NULL: none */
  void* progress_user_data;
} kldkit_batch_options;

#define KLDKIT_BATCH_OPTIONS_INIT \
  { sizeof(kldkit_batch_options), 1u, KLDKIT_COMPARE_LLAMACPP, NULL, NULL }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_batch_options_init(
    kldkit_batch_options* options);

/* Compares base row i with model row i for token targets[i] (as
 * kldkit_compare_row) and folds the results into acc, all or nothing. The
 * accumulator's bytes afterwards equal those of kldkit::CompareBatch with
 * 16-row blocks: they never depend on `threads`.
 * @param acc          not NULL; not used by another thread meanwhile.
 * @param results_out  NULL, or n_rows per-token results (to list the worst
 *                     tokens): elements lie results_out[0].struct_size
 *                     bytes apart, a size covering `flags`.
 * @param results_len  elements in results_out: n_targets, or 0 when NULL.
 * @param base, model  not NULL; the same n_rows and n_vocab.
 * @param targets      n_targets token ids in [0, n_vocab); may be NULL
 *                     if n_targets is 0.
 * @param n_targets    must equal base->n_rows and model->n_rows.
 * @param options      NULL for defaults.
 * @return OK, INVALID_ARGUMENT (NULL, sizes, row types, targets, options),
 *         MISMATCH (row counts differ), CANCELLED, OUT_OF_MEMORY.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_compare_batch(
    kldkit_accumulator* acc, kldkit_token_result* results_out,
    size_t results_len, const kldkit_row_batch* base,
    const kldkit_row_batch* model, const int32_t* targets, size_t n_targets,
    const kldkit_batch_options* options);

/* ---- Comparing files end to end ------------------------------------------ */

/* Per-chunk callback of kldkit_compare_files: the running totals of every
 * model after chunk `chunk` (from 1), without percentiles (NaN), as
 * kldkit_render_chunk_line takes them: llama-perplexity's per-chunk line.
 * `running` holds n_models reports, valid during the call. Since 0.2. */
typedef void (*kldkit_chunk_fn)(void* user_data, int chunk,
                                const kldkit_report* running,
                                size_t n_models);

/* Per-token callback of kldkit_compare_files: the results of model
 * `model` for rows [first_row, first_row + n) in file order (n elements of
 * sizeof(kldkit_token_result)), with their target tokens; from the pass
 * that feeds the accumulators; valid during the call. Since 0.2. */
typedef void (*kldkit_tokens_fn)(void* user_data, size_t model,
                                 uint64_t first_row,
                                 const kldkit_token_result* results,
                                 const int32_t* targets, size_t n);

/* A warning that does not stop the call (a forced mismatch, a float base
 * being quantized, different floors): one line, no newline, valid during
 * the call. Since 0.2. */
typedef void (*kldkit_warning_fn)(void* user_data, const char* message);

/* Options of kldkit_compare_files. Every callback is called on the thread
 * that called kldkit_compare_files; NULL callbacks are not called.
 * Since 0.2. */
typedef struct kldkit_compare_files_options {
  size_t struct_size;      /* sizeof(kldkit_compare_files_options) */
  uint32_t mode;           /* a kldkit_compare_mode; default LLAMACPP */
  uint32_t threads;        /* comparing and decoding, 1..1024; default 1 */
  uint32_t force;          /* nonzero: compare files whose tokens,
                              vocabulary or rows differ (with a warning) */
  uint32_t n_ctx;          /* context of a 1-D tokens_path array; 0 */
  const char* tokens_path; /* token ids (int32 .npy, llama.cpp or .kldz
                              file) when no compared file stores them;
                              NULL: the stored ones */
  kldkit_progress_fn progress; /* after each batch; nonzero cancels */
  void* progress_user_data;
  kldkit_chunk_fn on_chunk;
  void* chunk_user_data;
  kldkit_tokens_fn on_tokens;
  void* tokens_user_data;
  kldkit_warning_fn on_warning;
  void* warning_user_data;
  /* Chunks [chunk_begin, chunk_end) only; chunk_end 0: through the last
   * (default 0, 0: every chunk). States of ranges that tile the file merge
   * into the whole run's, bit for bit (chunk order) or report for report
   * (any order); per-chunk callbacks keep the file's chunk numbers. */
  uint32_t chunk_begin;
  uint32_t chunk_end;
  /* n_models paths (or NULL: none): model i's per-token results are kept
   * in save_tokens[i] (a NULL entry: not that model's), a token file
   * (docs/token-file.md) that `kldkit rank` ranks without the rows. Written
   * only when the call succeeds. Since 0.2. */
  const char* const* save_tokens;
} kldkit_compare_files_options;

#define KLDKIT_COMPARE_FILES_OPTIONS_INIT                                   \
  { sizeof(kldkit_compare_files_options), KLDKIT_COMPARE_LLAMACPP, 1u, 0u, \
    0u, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0u, 0u, NULL }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.2. */
KLDKIT_API kldkit_status kldkit_compare_files_options_init(
    kldkit_compare_files_options* options);

/* Compares the base file with each model file as llama-perplexity
 * --kl-divergence does, in bounded memory (two batches of rows of 8 MiB,
 * plus the accumulators): files are told apart by their magic (llama.cpp
 * files, .kldz containers, float .npy logits in llama.cpp row order; a
 * float base is quantized as llama.cpp stores it). The same engine as the
 * kldkit CLI: the same reports, bytes for bytes. Model i's results are
 * folded into accumulators[i], all or nothing (on failure or cancel none
 * changes); percentiles are exact or sketched as each accumulator was
 * created (they must all share one set of options).
 * @param accumulators  n_models handles, none NULL, none repeated.
 * @param base          path; not NULL.
 * @param models        n_models paths, none NULL; n_models >= 1.
 * @param options       NULL for defaults.
 * @return OK, INVALID_ARGUMENT (NULL, options, accumulators of different
 *         options, mode and row kinds that do not fit, no token ids, a
 *         keep-kld file where its dropped codes matter, an empty chunk
 *         range or one past the rows), MISMATCH (tokens,
 *         vocabulary or rows differ without force), IO, FORMAT, TRUNCATED,
 *         CHECKSUM, UNSUPPORTED, NON_FINITE, CANCELLED, OUT_OF_MEMORY.
 * Since 0.2. */
KLDKIT_API kldkit_status kldkit_compare_files(
    kldkit_accumulator* const* accumulators, const char* base,
    const char* const* models, size_t n_models,
    const kldkit_compare_files_options* options);

/* ---- .kldz containers ---------------------------------------------------- */

/* One metadata entry of a .kldz container (docs/FORMAT.md): keys in use
 * are "model", "quant", "dataset" and "producer"; any other is kept
 * ("floor" and "keep" are written by kldkit itself). Since 0.1. */
typedef struct kldkit_kldz_metadata {
  const char* key;   /* NUL-terminated, not empty, unique in its list */
  const char* value; /* NUL-terminated; may be empty */
} kldkit_kldz_metadata;

/* What a .kldz writer keeps of each row (docs/floors.md). Since 0.2. */
typedef enum kldkit_keep_profile {
  KLDKIT_KEEP_ALL = 0, /* every word: exports byte for byte (default) */
  /* The row heads, and the codes of tokens above -16 nats (with a margin),
   * of the target token and of the row's top code; the rest 0. Reports
   * from it as a base in llama.cpp mode are bit-identical to the
   * original's; tail mode and use as a model are refused. A 1.1 file. */
  KLDKIT_KEEP_KLD = 1
} kldkit_keep_profile;

/* Options of kldkit_kldz_import and (since 0.2) kldkit_kldz_writer_create.
 * Since 0.1. */
typedef struct kldkit_kldz_options {
  size_t struct_size;      /* sizeof(kldkit_kldz_options) */
  int32_t level;           /* zstd level, -7..19; default 1 */
  uint32_t threads;        /* compression threads, 1..256; default 1; the
                              bytes do not depend on it */
  uint32_t rows_per_block; /* 0 (default): about 4 MiB of rows per block */
  /* n_metadata entries stored in the container's header (read during the
   * call only; keys and values at most 1 MiB in all); NULL when
   * n_metadata is 0, the default. Read them back with
   * kldkit_reader_metadata_count/_key/_value. */
  const kldkit_kldz_metadata* metadata;
  size_t n_metadata;
  /* Since 0.2: a kldkit_keep_profile; default KLDKIT_KEEP_ALL. */
  uint32_t keep;
  /* Since 0.2: the floor of the rows in nats (16 llama.cpp, 24
   * ik_llama.cpp), recorded in the file. 0 (default): an import measures
   * it from its source's rows; a kldkit_kldz_writer takes 16. */
  float floor;
  /* Since 0.2, kldkit_kldz_writer only: nonzero lets close accept fewer
   * rows than the chunks hold (a run cut short on purpose). Default 0:
   * close fails with MISMATCH and leaves no file. */
  uint32_t allow_partial;
  /* Since 0.2, kldkit_kldz_writer only: nonzero writes a shard (format
   * 1.2) of chunks [first_chunk, end_chunk) (end_chunk 0: to the last) of
   * the evaluation `tokens` describes whole; the rows start at row 0 of
   * chunk first_chunk, and close expects that range's rows. A range of
   * every chunk gives a normal file. Default 0: the whole evaluation. */
  uint32_t shard;
  uint32_t first_chunk;
  uint32_t end_chunk;
} kldkit_kldz_options;

#define KLDKIT_KLDZ_OPTIONS_INIT                                          \
  {                                                                       \
    sizeof(kldkit_kldz_options), 1, 1u, 0u, NULL, 0u, 0u, 0.0f, 0u, 0u, \
        0u, 0u                                                            \
  }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_options_init(kldkit_kldz_options* options);

/* llama.cpp file `src` -> .kldz `dst` (written as `dst`.tmp, renamed when
 * complete), keeping every byte needed to export it back (or, with
 * options->keep KLDKIT_KEEP_KLD, what llama.cpp's statistics read), with
 * the options' metadata and the floor of the rows ("floor" entry).
 * @param rows_out  receives the rows stored; may be NULL.
 * @return OK, INVALID_ARGUMENT (also a NULL, empty or repeated metadata
 *         key, a NULL value, metadata over 1 MiB; nothing is written), IO,
 *         FORMAT, TRUNCATED, OUT_OF_MEMORY. Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_import(uint64_t* rows_out,
                                            const char* dst, const char* src,
                                            const kldkit_kldz_options* options);

/* Writes a .kldz base file row by row, as a llama.cpp fork's base run
 * produces it: float logits quantized inside as llama.cpp does (or rows
 * already quantized), compressed in blocks on the options' threads, to
 * `path`.tmp renamed to `path` by a successful close. No llama.cpp file is
 * written anywhere; memory is a few blocks whatever the file size. Not
 * thread-safe: one thread at a time per writer. Since 0.2. */
typedef struct kldkit_kldz_writer kldkit_kldz_writer;

/* What appending a row of float logits gives back: the numbers llama.cpp's
 * base run prints its perplexity from (an output struct: set struct_size,
 * KLDKIT_APPENDED_ROW_INIT). Since 0.2. */
typedef struct kldkit_appended_row {
  size_t struct_size;  /* sizeof(kldkit_appended_row) */
  double log_sum_exp;  /* log(sum_i exp(x_i)) of the row */
  float nll;           /* -log p(target token), as llama.cpp's base run */
} kldkit_appended_row;

#define KLDKIT_APPENDED_ROW_INIT { sizeof(kldkit_appended_row), 0.0, 0.0f }

/* Creates `path`.tmp and writes the header (tokens, metadata, floor).
 * @param writer_out  receives the handle (free with kldkit_kldz_writer_free),
 *                    NULL on failure; not NULL.
 * @param path        final file name; not NULL.
 * @param n_ctx       context length, >= 3.
 * @param n_vocab     vocabulary size, >= 1.
 * @param tokens      n_tokens ids in 0..n_vocab-1 (copied), chunk after
 *                    chunk: n_chunk = n_tokens / n_ctx; not NULL.
 * @param n_tokens    a nonzero multiple of n_ctx.
 * @param options     NULL for defaults (level 1, one thread, lossless,
 *                    floor 16, complete files only).
 * @return OK, INVALID_ARGUMENT (NULL, header, tokens, options), IO,
 *         OUT_OF_MEMORY. Since 0.2. */
KLDKIT_API kldkit_status kldkit_kldz_writer_create(
    kldkit_kldz_writer** writer_out, const char* path, uint32_t n_ctx,
    int32_t n_vocab, const int32_t* tokens, size_t n_tokens,
    const kldkit_kldz_options* options);

/* Appends one row already quantized (kldkit_llama_row_words(n_vocab)
 * words), the next in file order.
 * @return OK, INVALID_ARGUMENT (NULL, row_words), MISMATCH (more rows than
 *         the chunks hold), IO, CLOSED. Since 0.2. */
KLDKIT_API kldkit_status kldkit_kldz_writer_append_row(
    kldkit_kldz_writer* writer, const uint16_t* row, size_t row_words);

/* Quantizes one row of float logits (f32, f16 or bf16; n_vocab of them) as
 * kldkit_quantize_row does and appends it. `options`: NULL for the writer's
 * floor, not strict; otherwise their floor must be the writer's (strict: the
 * bytes llama.cpp itself writes). NaN or +inf: NON_FINITE, nothing appended.
 * @param result_out  NULL, or receives the row's log-sum-exp and target NLL.
 * @return OK, INVALID_ARGUMENT, NON_FINITE, MISMATCH (more rows than the
 *         chunks hold), IO, CLOSED. Since 0.2. */
KLDKIT_API kldkit_status kldkit_kldz_writer_append_logits(
    kldkit_kldz_writer* writer, const kldkit_row* logits,
    const kldkit_quantize_options* options, kldkit_appended_row* result_out);

/* Appends logits->n_rows rows of float logits: quantized on the writer's
 * threads (kldkit_kldz_options.threads), then appended in order, all or
 * nothing (a bad row: NON_FINITE naming it, none appended).
 * @param results_out  NULL, or results_len elements (stride:
 *                     results_out[0].struct_size, covering `nll`).
 * @param results_len  logits->n_rows, or 0 when results_out is NULL.
 * @return as kldkit_kldz_writer_append_logits. Since 0.2. */
KLDKIT_API kldkit_status kldkit_kldz_writer_append_logits_batch(
    kldkit_kldz_writer* writer, const kldkit_row_batch* logits,
    const kldkit_quantize_options* options, kldkit_appended_row* results_out,
    size_t results_len);

/* Writes the last blocks, the seek table and the end marker, syncs and
 * renames to `path`. The handle is closed whatever the outcome; on failure
 * nothing is left at `path` or `path`.tmp.
 * @return OK, MISMATCH (rows missing, unless allow_partial), IO,
 *         INVALID_ARGUMENT (NULL), CLOSED (closed before). Since 0.2. */
KLDKIT_API kldkit_status kldkit_kldz_writer_close(kldkit_kldz_writer* writer);

/* Frees the handle; an unclosed writer removes its temporary file, so no
 * complete-looking file is ever left. Accepts NULL. Since 0.2. */
KLDKIT_API void kldkit_kldz_writer_free(kldkit_kldz_writer* writer);

/* .kldz `src` -> llama.cpp file `dst`, byte-identical to the imported one.
 * @return OK, INVALID_ARGUMENT, IO, FORMAT, TRUNCATED, CHECKSUM,
 *         UNSUPPORTED, MISMATCH (not n_chunk full chunks of rows).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_export(uint64_t* rows_out,
                                            const char* dst, const char* src);

/* Reads and checks every block and checksum of `path`.
 * @param rows_out  receives the row count; may be NULL.
 * @return OK, INVALID_ARGUMENT, IO, FORMAT, TRUNCATED, CHECKSUM,
 *         UNSUPPORTED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_verify(uint64_t* rows_out,
                                            const char* path);

/* Options of kldkit_kldz_export_with and kldkit_kldz_verify_with. Since 0.1. */
typedef struct kldkit_kldz_read_options {
  size_t struct_size; /* sizeof(kldkit_kldz_read_options) */
  uint32_t threads;   /* decompression threads, 1..64; default 1; the
                         result does not depend on it */
} kldkit_kldz_read_options;

#define KLDKIT_KLDZ_READ_OPTIONS_INIT { sizeof(kldkit_kldz_read_options), 1u }

/* Sets *options to the defaults. @return OK, INVALID_ARGUMENT (NULL).
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_read_options_init(
    kldkit_kldz_read_options* options);

/* kldkit_kldz_export decoding on options->threads threads (NULL options:
 * one thread, as kldkit_kldz_export). A bad thread count fails with
 * INVALID_ARGUMENT before `dst` is created. @return as kldkit_kldz_export.
 * Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_export_with(
    uint64_t* rows_out, const char* dst, const char* src,
    const kldkit_kldz_read_options* options);

/* kldkit_kldz_verify decoding on options->threads threads (NULL options:
 * one thread). @return as kldkit_kldz_verify. Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_verify_with(
    uint64_t* rows_out, const char* path,
    const kldkit_kldz_read_options* options);

/* Copies every complete, valid block of a possibly incomplete .kldz (such
 * as `path`.tmp left by a killed writer) into a complete file `dst`.
 * @param rows_out  receives the rows recovered; may be NULL.
 * @return OK, INVALID_ARGUMENT, IO, FORMAT (damaged file header),
 *         UNSUPPORTED. Since 0.1. */
KLDKIT_API kldkit_status kldkit_kldz_recover(uint64_t* rows_out,
                                             const char* dst,
                                             const char* src);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KLDKIT_H_ */
