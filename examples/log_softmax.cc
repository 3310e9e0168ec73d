// kldkit from C++ (the static library, kldkit::kldkit_static): log-softmax
// of a bfloat16 row, then the same comparison as quantize_compare.c with
// the C++ API. Errors arrive as kldkit::Error carrying a kldkit_status.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kldkit/kernels.hpp"

namespace {

// float -> bfloat16 bits, truncating (fine for an example's inputs).
uint16_t ToBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace

int main() {
  constexpr size_t kVocab = 1000;
  std::vector<float> base(kVocab), model(kVocab);
  std::vector<uint16_t> model_bf16(kVocab);
  for (size_t i = 0; i < kVocab; ++i) {
    base[i] = static_cast<float>(8.0 * std::cos(0.37 * i) - 0.01 * i);
    model[i] = base[i] + static_cast<float>(0.3 * std::sin(1.7 * i));
    model_bf16[i] = ToBF16(model[i]);
  }
  try {
    std::vector<float> log_probs(kVocab);
    kldkit::LogSoftmax(kldkit::RowView::BF16(model_bf16), log_probs);
    std::printf("model log p(token 17) = %.5f (bf16 input)\n", log_probs[17]);

    std::vector<uint16_t> base_row(kldkit::LlamaRowWords(kVocab));
    kldkit::QuantizeRow(kldkit::RowView::F32(base), base_row);
    const kldkit::TokenResult r = kldkit::CompareRow(
        kldkit::RowView::Llama(base_row.data(), kVocab),
        kldkit::RowView::F32(model), 17);
    std::printf("llama.cpp KLD %.6f nats, same top: %s\n", r.kld,
                r.SameTop() ? "yes" : "no");
  } catch (const kldkit::Error& e) {
    std::fprintf(stderr, "%s: %s\n", kldkit_status_string(e.Status()),
                 e.what());
    return 1;
  }
  return 0;
}
