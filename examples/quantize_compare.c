/* kldkit from C: quantize a base row of logits into a llama.cpp row (what
 * llama-perplexity --kl-divergence-base stores), then score a model's row
 * against it for one target token, in llama.cpp's mode and in the exact
 * mode. Plain C99; link with -lkldkit (pkg-config kldkit, or
 * find_package(kldkit) and kldkit::kldkit).
 *
 *   ./quantize_compare            prints the per-token statistics
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kldkit.h"

#define N_VOCAB 1000

/* Prints the failing call's status and message and exits. */
static void Check(kldkit_status status, const char* what) {
  if (status != KLDKIT_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, kldkit_status_string(status),
            kldkit_last_error());
    exit(1);
  }
}

static void Print(const char* mode, const kldkit_token_result* r) {
  printf("%-9s KLD %.6f nats  -log p %.4f (base %.4f)  dp %+.5f  "
         "top %d (base %d)%s\n",
         mode, r->kld, r->nll, r->nll_base, r->dp, r->top, r->top_base,
         (r->flags & KLDKIT_TOKEN_SAME_TOP) ? "  same top" : "");
}

int main(void) {
  static float base_logits[N_VOCAB];
  static float model_logits[N_VOCAB];
  static uint16_t base_words[N_VOCAB + 4]; /* llama_row_words(N_VOCAB) */
  kldkit_row base_f32, base, model;
  kldkit_quantize_options quantize = KLDKIT_QUANTIZE_OPTIONS_INIT;
  kldkit_compare_options compare = KLDKIT_COMPARE_OPTIONS_INIT;
  kldkit_token_result result = KLDKIT_TOKEN_RESULT_INIT;
  const int32_t target = 17; /* a likely token */
  size_t words = 0;
  int i;

  if (kldkit_abi_version() != KLDKIT_ABI_VERSION) {
    fprintf(stderr, "libkldkit ABI %u, header %d\n", kldkit_abi_version(),
            KLDKIT_ABI_VERSION);
    return 1;
  }
  printf("kldkit %s\n", kldkit_version_string());

  /* A peaked base distribution and a slightly perturbed "quantized" model. */
  for (i = 0; i < N_VOCAB; ++i) {
    base_logits[i] = (float)(8.0 * cos(0.37 * i) - 0.01 * i);
    model_logits[i] = base_logits[i] + (float)(0.3 * sin(1.7 * i));
  }
  base_f32.data = base_logits;
  base_f32.n_vocab = N_VOCAB;
  base_f32.type = KLDKIT_ROW_F32;
  model.data = model_logits;
  model.n_vocab = N_VOCAB;
  model.type = KLDKIT_ROW_F32;

  words = kldkit_llama_row_words(N_VOCAB);
  Check(kldkit_quantize_row(base_words, words, &base_f32, &quantize),
        "kldkit_quantize_row");
  base.data = base_words;
  base.n_vocab = N_VOCAB;
  base.type = KLDKIT_ROW_LLAMA_U16;

  compare.mode = KLDKIT_COMPARE_LLAMACPP;
  Check(kldkit_compare_row(&result, NULL, 0, &base, &model, target, &compare),
        "kldkit_compare_row (llama.cpp)");
  Print("llama.cpp", &result);

  compare.mode = KLDKIT_COMPARE_EXACT;
  Check(kldkit_compare_row(&result, NULL, 0, &base_f32, &model, target,
                           &compare),
        "kldkit_compare_row (exact)");
  Print("exact", &result);
  return 0;
}
