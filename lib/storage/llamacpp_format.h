// Constants and header checks shared by the llama.cpp file reader, writer
// and converters. Not installed.
#ifndef KLDKIT_LIB_STORAGE_LLAMACPP_FORMAT_H_
#define KLDKIT_LIB_STORAGE_LLAMACPP_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "kldkit/llamacpp_file.hpp"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kldkit's file formats are read and written on little-endian hosts only"
#endif

namespace kldkit {
namespace detail {

constexpr char kLlamaMagic[8] = {'_', 'l', 'o', 'g', 'i', 't', 's', '_'};
// magic, uint32 n_ctx, int32 n_vocab, int32 n_chunk.
constexpr size_t kLlamaHeaderBytes = 20;

// Documented limits of what kldkit accepts (far above any real model:
// contexts reach 1M tokens, vocabularies 262144 entries). They keep every
// size computation inside uint64 and reject hostile headers before any
// allocation: a row is at most 32 MiB.
constexpr uint32_t kLlamaMaxCtx = 1u << 24;
constexpr int32_t kLlamaMaxVocab = 1 << 24;

// Empty if `h` is within the limits above (n_ctx >= 3 so that a chunk has
// at least one scored row, n_vocab >= 1, n_chunk >= 1), else why not.
std::string LlamaHeaderProblem(const LlamaFileHeader& h);

inline uint64_t LlamaTokenCount(const LlamaFileHeader& h) {
  return uint64_t{h.n_ctx} * static_cast<uint64_t>(h.n_chunk);
}
inline uint64_t LlamaRowBytes(const LlamaFileHeader& h) {
  return 2 * uint64_t{LlamaRowWords(static_cast<size_t>(h.n_vocab))};
}
inline uint64_t LlamaDataOffset(const LlamaFileHeader& h) {
  return kLlamaHeaderBytes + 4 * LlamaTokenCount(h);
}

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_LLAMACPP_FORMAT_H_
