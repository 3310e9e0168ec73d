#include "lib/storage/llamacpp_format.h"

namespace kldkit {
namespace detail {

std::string LlamaHeaderProblem(const LlamaFileHeader& h) {
  if (h.n_ctx < 3 || h.n_ctx > kLlamaMaxCtx) {
    return "n_ctx " + std::to_string(h.n_ctx) + " is outside 3.." +
           std::to_string(kLlamaMaxCtx);
  }
  if (h.n_vocab < 1 || h.n_vocab > kLlamaMaxVocab) {
    return "n_vocab " + std::to_string(h.n_vocab) + " is outside 1.." +
           std::to_string(kLlamaMaxVocab);
  }
  if (h.n_chunk < 1) {
    return "n_chunk " + std::to_string(h.n_chunk) + " is not positive";
  }
  return std::string();
}

}  // namespace detail
}  // namespace kldkit
