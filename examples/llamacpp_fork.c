/* How a llama.cpp fork can hand its KL-divergence work to kldkit.
 *
 * llama-perplexity measures a quantized model in two runs:
 *   1. --kl-divergence-base FILE: the full-precision model evaluates the
 *      text chunk by chunk and stores, for the second half of every
 *      context, its next-token distribution as a quantized row;
 *   2. --kl-divergence: the quantized model evaluates the same tokens
 *      (read back from FILE), compares its logits with each stored row for
 *      the token that follows, and prints running and final statistics.
 * This program runs both with kldkit's C API. FakeModelLogits() stands in
 * for llama_decode() + llama_get_logits_ith(); everything else is what a
 * fork would call. A FILE named *.kldz is written straight into a
 * compressed container (kldkit_kldz_writer: no llama.cpp file anywhere,
 * and the base run's perplexity from the NLLs it returns); any other name
 * gets llama.cpp's layout, byte for byte (kldkit_llama_writer). Run 2 reads
 * either the same way.
 *
 *   ./llamacpp_fork base FILE   run 1: write FILE from the "base model"
 *   ./llamacpp_fork kld FILE    run 2: score the "quantized model" on FILE
 *
 * Plain C99; link with -lkldkit -lm (or kldkit::kldkit in CMake).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kldkit.h"

#define N_VOCAB 1000
#define N_CTX 128   /* context length of each chunk */
#define N_CHUNK 4   /* chunks evaluated */
#define FIRST (N_CTX / 2) /* first scored position of a chunk */
#define ROWS_PER_CHUNK (N_CTX - 1 - FIRST)
#define QUANT_NOISE 0.5 /* how far the "quantized" model strays */

/* ---- Stand-ins for the llama.cpp side ----------------------------------- */

/* The made-up language: after token t usually comes NextToken(t). */
static int32_t NextToken(int32_t t) { return (7 * t + 3) % N_VOCAB; }

/* The tokenized evaluation text (n_ctx * n_chunk ids): the language's
 * rule, with a surprise every fifth token. */
static void Tokenize(int32_t* tokens, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    tokens[i] = i % 5 == 0 ? (int32_t)((i * 7919u + 13u) % N_VOCAB)
                           : NextToken(tokens[i - 1]);
  }
}

/* Stands in for llama_get_logits_ith(ctx, pos) after decoding one chunk:
 * the model's float logits for the token after chunk_tokens[pos]. It has
 * learnt the language's rule, more or less firmly. `noise` plays the
 * quantization error: 0 is the full-precision model. */
static void FakeModelLogits(float* logits, const int32_t* chunk_tokens,
                            int pos, double noise) {
  const int32_t t = chunk_tokens[pos];
  const double phase = 0.13 * t + 0.05 * pos;
  float top = -INFINITY;
  int v;
  for (v = 0; v < N_VOCAB; ++v) {
    logits[v] = (float)(6.0 * cos(0.37 * v + phase) - 0.01 * v +
                        noise * sin(1.7 * v + 0.31 * pos));
    if (logits[v] > top) top = logits[v];
  }
  logits[NextToken(t)] = top + 0.5f * (float)(t % 8);
}

/* ---- Helpers ------------------------------------------------------------ */

/* Prints a failing call's status and message; returns whether it was OK. */
static int Ok(kldkit_status status, const char* what) {
  if (status == KLDKIT_OK) return 1;
  fprintf(stderr, "%s: %s: %s\n", what, kldkit_status_string(status),
          kldkit_last_error());
  return 0;
}

static kldkit_row FloatRow(const float* logits) {
  kldkit_row row;
  row.data = logits;
  row.n_vocab = N_VOCAB;
  row.type = KLDKIT_ROW_F32;
  return row;
}

/* Prints the final report in llama-perplexity's words and layout. */
static int PrintReport(const kldkit_report* report) {
  size_t size = 0;
  char* text = NULL;
  int ok = Ok(kldkit_render_text(NULL, 0, &size, report), "render (size)");
  if (ok) ok = (text = malloc(size)) != NULL;
  if (ok) ok = Ok(kldkit_render_text(text, size, &size, report), "render");
  if (ok) fputs(text, stdout);
  free(text);
  return ok;
}

/* ---- Run 1: --kl-divergence-base ---------------------------------------- */

static int IsKldz(const char* path) {
  const size_t n = strlen(path);
  return n >= 5 && strcmp(path + n - 5, ".kldz") == 0;
}

/* Straight into a .kldz: each appended row also gives back the NLL of the
 * token that follows, so the base run prints its perplexity as llama.cpp's
 * does, without a second pass over the logits. */
static int WriteBaseKldz(const char* path) {
  static int32_t tokens[N_CTX * N_CHUNK];
  static float logits[N_VOCAB];
  kldkit_kldz_writer* writer = NULL;
  kldkit_kldz_options options = KLDKIT_KLDZ_OPTIONS_INIT;
  kldkit_quantize_options quantize = KLDKIT_QUANTIZE_OPTIONS_INIT;
  const kldkit_row row = FloatRow(logits);
  double nll = 0;
  int chunk, pos, ok;

  quantize.strict = 1; /* the rows llama.cpp itself would store */
  options.threads = 2; /* blocks compressed on two threads */
  Tokenize(tokens, N_CTX * N_CHUNK);
  ok = Ok(kldkit_kldz_writer_create(&writer, path, N_CTX, N_VOCAB, tokens,
                                    N_CTX * N_CHUNK, &options),
          "kldkit_kldz_writer_create");
  for (chunk = 0; ok && chunk < N_CHUNK; ++chunk) {
    for (pos = FIRST; ok && pos < N_CTX - 1; ++pos) {
      kldkit_appended_row appended = KLDKIT_APPENDED_ROW_INIT;
      FakeModelLogits(logits, tokens + chunk * N_CTX, pos, 0.0);
      ok = Ok(kldkit_kldz_writer_append_logits(writer, &row, &quantize,
                                               &appended),
              "kldkit_kldz_writer_append_logits");
      nll += appended.nll;
    }
    if (ok) {
      printf("[%d]%.4f,", chunk + 1,
             exp(nll / ((chunk + 1) * ROWS_PER_CHUNK)));
    }
  }
  if (ok) {
    ok = Ok(kldkit_kldz_writer_close(writer), "kldkit_kldz_writer_close");
  }
  kldkit_kldz_writer_free(writer); /* leaves no file after a failure */
  if (ok) {
    printf("\nFinal estimate: PPL = %.4f\nwrote %d rows to %s\n",
           exp(nll / (N_CHUNK * ROWS_PER_CHUNK)), N_CHUNK * ROWS_PER_CHUNK,
           path);
  }
  return ok;
}

static int WriteBase(const char* path) {
  static int32_t tokens[N_CTX * N_CHUNK];
  static float logits[N_VOCAB];
  kldkit_llama_writer* writer = NULL;
  /* strict: rows byte-identical to the ones llama.cpp writes. */
  kldkit_quantize_options quantize = KLDKIT_QUANTIZE_OPTIONS_INIT;
  const kldkit_row row = FloatRow(logits);
  int chunk, pos, ok;

  quantize.strict = 1;
  Tokenize(tokens, N_CTX * N_CHUNK);
  /* The header and every token go first, as in llama.cpp. */
  ok = Ok(kldkit_llama_writer_create(&writer, path, N_CTX, N_VOCAB, N_CHUNK,
                                     tokens, N_CTX * N_CHUNK),
          "kldkit_llama_writer_create");
  for (chunk = 0; ok && chunk < N_CHUNK; ++chunk) {
    const int32_t* chunk_tokens = tokens + chunk * N_CTX;
    /* Only the second half of the context is scored. */
    for (pos = FIRST; ok && pos < N_CTX - 1; ++pos) {
      FakeModelLogits(logits, chunk_tokens, pos, 0.0);
      ok = Ok(kldkit_llama_writer_append_logits(writer, &row, &quantize),
              "kldkit_llama_writer_append_logits");
    }
  }
  /* close checks the row count and renames FILE.tmp to FILE. */
  if (ok) {
    ok = Ok(kldkit_llama_writer_close(writer), "kldkit_llama_writer_close");
  }
  kldkit_llama_writer_free(writer); /* removes FILE.tmp after a failure */
  if (ok) printf("wrote %d rows to %s\n", N_CHUNK * ROWS_PER_CHUNK, path);
  return ok;
}

/* ---- Run 2: --kl-divergence --------------------------------------------- */

/* Reads the base file's tokens into `tokens`: the text scored is the one
 * the base run saw, so the file must hold this vocabulary, context and
 * text. */
static int ReadBaseTokens(int32_t* tokens, const kldkit_reader* base,
                          const char* path) {
  static int32_t ours[N_CTX * N_CHUNK];
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  if (!Ok(kldkit_reader_info_get(&info, base), "kldkit_reader_info_get")) {
    return 0;
  }
  if (info.row_type != KLDKIT_ROW_LLAMA_U16 || info.n_vocab != N_VOCAB ||
      info.n_ctx != N_CTX || info.n_chunk != N_CHUNK) {
    fprintf(stderr, "%s: not a base file of this model and context\n", path);
    return 0;
  }
  if (!Ok(kldkit_reader_read_tokens(tokens, N_CTX * N_CHUNK, base, 0),
          "kldkit_reader_read_tokens")) {
    return 0;
  }
  Tokenize(ours, N_CTX * N_CHUNK);
  if (memcmp(ours, tokens, sizeof(ours)) != 0) {
    fprintf(stderr, "%s: holds other tokens than this text\n", path);
    return 0;
  }
  return 1;
}

/* Scores one chunk: each stored base row against the model's logits for
 * the token that follows, folded into `acc`. (With all of a chunk's logits
 * in one buffer, kldkit_compare_batch does the same on several threads.) */
static int ScoreChunk(kldkit_accumulator* acc, const kldkit_reader* base,
                      const int32_t* chunk_tokens, int chunk) {
  static float logits[N_VOCAB];
  static uint16_t words[N_VOCAB + 4]; /* kldkit_llama_row_words(N_VOCAB) */
  const kldkit_row model = FloatRow(logits);
  kldkit_row stored;
  kldkit_compare_options compare = KLDKIT_COMPARE_OPTIONS_INIT;
  int pos;

  stored.data = words;
  stored.n_vocab = N_VOCAB;
  stored.type = KLDKIT_ROW_LLAMA_U16;
  for (pos = FIRST; pos < N_CTX - 1; ++pos) {
    kldkit_token_result result = KLDKIT_TOKEN_RESULT_INIT;
    /* Rows are stored chunk after chunk, one per scored position. */
    const uint64_t row = (uint64_t)chunk * ROWS_PER_CHUNK + (pos - FIRST);
    FakeModelLogits(logits, chunk_tokens, pos, QUANT_NOISE);
    if (!Ok(kldkit_reader_read_row_u16(words, kldkit_llama_row_words(N_VOCAB),
                                       base, row),
            "kldkit_reader_read_row_u16") ||
        !Ok(kldkit_compare_row(&result, NULL, 0, &stored, &model,
                               chunk_tokens[pos + 1], &compare),
            "kldkit_compare_row") ||
        !Ok(kldkit_accumulator_add(acc, &result, 1),
            "kldkit_accumulator_add")) {
      return 0;
    }
  }
  return 1;
}

/* The per-chunk line: running totals over the chunks so far. */
static int PrintChunkLine(const kldkit_accumulator* acc, int chunk) {
  kldkit_report running = KLDKIT_REPORT_INIT;
  char line[512];
  size_t size = 0;
  if (!Ok(kldkit_accumulator_report(&running, acc, 0), "report") ||
      !Ok(kldkit_render_chunk_line(line, sizeof(line), &size, chunk + 1,
                                   &running),
          "kldkit_render_chunk_line")) {
    return 0;
  }
  fputs(line, stdout);
  return 1;
}

static int ScoreModel(const char* path) {
  static int32_t tokens[N_CTX * N_CHUNK];
  kldkit_reader* base = NULL;
  kldkit_accumulator* acc = NULL; /* exact percentiles, as llama.cpp */
  kldkit_report report = KLDKIT_REPORT_INIT;
  char header[512];
  size_t size = 0;
  int chunk, ok;

  ok = Ok(kldkit_reader_open(&base, path, NULL), "kldkit_reader_open") &&
       ReadBaseTokens(tokens, base, path) &&
       Ok(kldkit_accumulator_create(&acc, NULL), "kldkit_accumulator_create") &&
       Ok(kldkit_render_chunk_header(header, sizeof(header), &size),
          "kldkit_render_chunk_header");
  if (ok) fputs(header, stdout);
  for (chunk = 0; ok && chunk < N_CHUNK; ++chunk) {
    ok = ScoreChunk(acc, base, tokens + chunk * N_CTX, chunk) &&
         PrintChunkLine(acc, chunk);
  }
  ok = ok && Ok(kldkit_accumulator_report(&report, acc, 1),
                "kldkit_accumulator_report");
  if (ok) {
    printf("\n%llu tokens scored\n\n", (unsigned long long)report.n_tokens);
    ok = PrintReport(&report);
  }
  kldkit_accumulator_free(acc);
  kldkit_reader_free(base);
  return ok;
}

int main(int argc, char** argv) {
  if (kldkit_abi_version() != KLDKIT_ABI_VERSION) {
    fprintf(stderr, "libkldkit ABI %u, header %d\n", kldkit_abi_version(),
            KLDKIT_ABI_VERSION);
    return 1;
  }
  if (argc == 3 && strcmp(argv[1], "base") == 0) {
    return (IsKldz(argv[2]) ? WriteBaseKldz(argv[2]) : WriteBase(argv[2])) ? 0
                                                                           : 1;
  }
  if (argc == 3 && strcmp(argv[1], "kld") == 0) {
    return ScoreModel(argv[2]) ? 0 : 1;
  }
  fprintf(stderr, "usage: %s base|kld FILE\n",
          argc > 0 ? argv[0] : "llamacpp_fork");
  return 2;
}
