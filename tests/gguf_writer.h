// A GGUF file writer for tests (the format is public: header, metadata,
// tensor infos, aligned data), little-endian. Test code only.
#ifndef KLDKIT_TESTS_GGUF_WRITER_H_
#define KLDKIT_TESTS_GGUF_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kldkit {
namespace testing {

// A little-endian GGUF writer, enough for the tests.
class GgufBytes {
 public:
  template <typename T>
  GgufBytes& Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
    return *this;
  }
  GgufBytes& Str(const std::string& s) {
    Put<uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  GgufBytes& AlignTo(size_t a) {
    while (bytes_.size() % a != 0) bytes_.push_back(0);
    return *this;
  }
  GgufBytes& Zeros(size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }
  std::vector<uint8_t>& Bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type;
  uint64_t bytes;  // its data
};

// Header v`version`, metadata (a string, general.alignment, a string array,
// an int32 array, a float), the tensor infos, the data at `alignment`.
inline std::vector<uint8_t> MakeGguf(const std::vector<GgufTensor>& tensors,
                              uint32_t alignment = 32, uint32_t version = 3) {
  GgufBytes g;
  g.Put<uint32_t>(0x46554747).Put<uint32_t>(version);  // "GGUF"
  g.Put<uint64_t>(tensors.size()).Put<uint64_t>(5);
  g.Str("general.name").Put<uint32_t>(8).Str("test model");
  g.Str("general.alignment").Put<uint32_t>(4).Put<uint32_t>(alignment);
  g.Str("tokenizer.ggml.tokens").Put<uint32_t>(9).Put<uint32_t>(8);
  g.Put<uint64_t>(3).Str("a").Str("bc").Str("<s>");
  g.Str("tokenizer.ggml.token_type").Put<uint32_t>(9).Put<uint32_t>(5);
  g.Put<uint64_t>(3).Put<int32_t>(1).Put<int32_t>(1).Put<int32_t>(3);
  g.Str("general.rope_scale").Put<uint32_t>(6).Put<float>(1.0f);
  uint64_t offset = 0;
  for (const GgufTensor& t : tensors) {
    g.Str(t.name).Put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) g.Put<uint64_t>(d);
    g.Put<uint32_t>(t.type).Put<uint64_t>(offset);
    offset += (t.bytes + alignment - 1) / alignment * alignment;
  }
  g.AlignTo(alignment);
  for (const GgufTensor& t : tensors) g.Zeros(t.bytes).AlignTo(alignment);
  return g.Bytes();
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_GGUF_WRITER_H_
