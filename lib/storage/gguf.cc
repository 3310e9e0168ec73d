// GGUF header and tensor table (kldkit/gguf.hpp): a forward cursor over a
// positioned-read function, every length checked against the bytes left.
#include "kldkit/gguf.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace {

using ReadAt = std::function<void(uint64_t offset, void* dst, size_t n)>;

[[noreturn]] void Fail(kldkit_status status, const std::string& what) {
  throw Error(status, "GGUF: " + what);
}

class Cursor {
 public:
  Cursor(ReadAt read, uint64_t size) : read_(std::move(read)), size_(size) {}

  uint64_t Pos() const { return pos_; }
  uint64_t Left() const { return size_ - pos_; }
  void Skip(uint64_t n, const char* what) {
    if (n > Left())
      Fail(KLDKIT_ERROR_TRUNCATED,
           std::string(what) + " runs past the end of the file");
    pos_ += n;
  }
  template <typename T>
  T Read(const char* what) {
    T v;
    if (sizeof(T) > Left())
      Fail(KLDKIT_ERROR_TRUNCATED,
           std::string(what) + " runs past the end of the file");
    if (pos_ < window_at_ || pos_ + sizeof(T) > window_at_ + window_.size()) {
      Refill();
    }
    std::memcpy(&v, window_.data() + (pos_ - window_at_), sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

 private:
  // Reads go through a 64 KiB window: a vocabulary's metadata is a million
  // small fields, which one pread each made 100x slower.
  void Refill() {
    window_at_ = pos_;
    window_.resize(static_cast<size_t>(std::min<uint64_t>(Left(), 1 << 16)));
    read_(pos_, window_.data(), window_.size());
  }

  ReadAt read_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t window_at_ = 0;
  std::vector<uint8_t> window_;
};

// gguf_type: 0-7 and 10-12 are fixed-size scalars, 8 a string, 9 an array.
constexpr uint32_t kString = 8, kArray = 9;
uint64_t ScalarSize(uint32_t type) {
  static const uint64_t kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  if (type > 12 || type == kString || type == kArray) return 0;
  return kSizes[type];
}

void SkipString(Cursor& c) {
  c.Skip(c.Read<uint64_t>("a string length"), "a string");
}

void SkipArray(Cursor& c) {
  const auto type = c.Read<uint32_t>("an array type");
  const auto count = c.Read<uint64_t>("an array length");
  if (type == kString) {
    // Each string has an 8-byte length: a count beyond that is a lie.
    if (count > c.Left() / 8)
      Fail(KLDKIT_ERROR_TRUNCATED,
           "a string array runs past the end of the file");
    for (uint64_t i = 0; i < count; ++i) SkipString(c);
    return;
  }
  const uint64_t size = ScalarSize(type);
  if (size == 0)
    Fail(KLDKIT_ERROR_FORMAT,
         "array of unknown or nested type " + std::to_string(type));
  if (count > c.Left() / size)
    Fail(KLDKIT_ERROR_TRUNCATED, "an array runs past the end of the file");
  c.Skip(count * size, "an array");
}

void SkipValue(Cursor& c, uint32_t type) {
  if (type == kString) return SkipString(c);
  if (type == kArray) return SkipArray(c);
  const uint64_t size = ScalarSize(type);
  if (size == 0)
    Fail(KLDKIT_ERROR_FORMAT,
         "metadata value of unknown type " + std::to_string(type));
  c.Skip(size, "a metadata value");
}

// The metadata: skipped, except general.alignment (uint32).
uint64_t ReadMetadata(Cursor& c, uint64_t n_kv) {
  uint64_t alignment = 32;
  // Each key-value takes at least 8 + 4 bytes.
  if (n_kv > c.Left() / 12)
    Fail(KLDKIT_ERROR_TRUNCATED, "metadata count larger than the file");
  for (uint64_t i = 0; i < n_kv; ++i) {
    const auto key_len = c.Read<uint64_t>("a key length");
    if (key_len > c.Left())
      Fail(KLDKIT_ERROR_TRUNCATED, "a key runs past the end of the file");
    std::string key;
    if (key_len == 17) {  // strlen("general.alignment")
      key.resize(17);
      for (char& ch : key) ch = static_cast<char>(c.Read<uint8_t>("a key"));
    } else {
      c.Skip(key_len, "a key");
    }
    const auto type = c.Read<uint32_t>("a value type");
    if (key == "general.alignment" && type == 4) {
      alignment = c.Read<uint32_t>("general.alignment");
      if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        Fail(KLDKIT_ERROR_FORMAT, "general.alignment " +
                                      std::to_string(alignment) +
                                      " is not a power of two");
      }
    } else {
      SkipValue(c, type);
    }
  }
  return alignment;
}

struct TensorInfo {
  uint64_t offset, elements;
};

TensorInfo ReadTensorInfo(Cursor& c) {
  SkipString(c);  // name
  const auto n_dims = c.Read<uint32_t>("a dimension count");
  if (n_dims == 0 || n_dims > 4)
    Fail(KLDKIT_ERROR_FORMAT,
         "a tensor of " + std::to_string(n_dims) + " dimensions (1 to 4)");
  uint64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const auto dim = c.Read<uint64_t>("a dimension");
    if (dim != 0 && elements > UINT64_MAX / dim)
      Fail(KLDKIT_ERROR_FORMAT, "a tensor's element count overflows");
    elements *= dim;
  }
  c.Read<uint32_t>("a tensor type");  // any: sizes come from the offsets
  return {c.Read<uint64_t>("a tensor offset"), elements};
}

GgufSize Parse(Cursor& c, uint64_t file_size) {
  char magic[4];
  for (char& ch : magic) ch = static_cast<char>(c.Read<uint8_t>("the magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0)
    Fail(KLDKIT_ERROR_FORMAT, "no GGUF magic");
  GgufSize s;
  s.file_bytes = file_size;
  s.version = c.Read<uint32_t>("the version");
  if (s.version < 2 || s.version > 3)
    Fail(KLDKIT_ERROR_UNSUPPORTED,
         "version " + std::to_string(s.version) + " (2 and 3 are read)");
  s.n_tensors = c.Read<uint64_t>("the tensor count");
  const auto n_kv = c.Read<uint64_t>("the metadata count");
  const uint64_t alignment = ReadMetadata(c, n_kv);
  // Each tensor info takes at least 8 + 4 + 8 + 4 + 8 bytes.
  if (s.n_tensors > c.Left() / 32)
    Fail(KLDKIT_ERROR_TRUNCATED, "tensor count larger than the file");
  std::vector<uint64_t> offsets;
  offsets.reserve(s.n_tensors);
  for (uint64_t i = 0; i < s.n_tensors; ++i) {
    const TensorInfo t = ReadTensorInfo(c);
    if (s.weights > UINT64_MAX - t.elements)
      Fail(KLDKIT_ERROR_FORMAT, "the weight count overflows");
    s.weights += t.elements;
    offsets.push_back(t.offset);
  }
  const uint64_t data = (c.Pos() + alignment - 1) / alignment * alignment;
  if (data > file_size) Fail(KLDKIT_ERROR_TRUNCATED, "no tensor data");
  std::sort(offsets.begin(), offsets.end());
  if (!offsets.empty() && offsets.back() > file_size - data) {
    Fail(KLDKIT_ERROR_TRUNCATED, "a tensor starts past the end of the file");
  }
  s.tensor_bytes = offsets.empty() ? 0 : file_size - data - offsets.front();
  return s;
}

}  // namespace

GgufSize ParseGgufSize(gsl::span<const uint8_t> file) {
  Cursor c([file](uint64_t at, void* dst,
                  size_t n) { std::memcpy(dst, file.data() + at, n); },
           file.size());
  return Parse(c, file.size());
}

GgufSize ReadGgufSize(const std::string& path) {
  const detail::ReadFile f(path);
  Cursor c([&f](uint64_t at, void* dst, size_t n) { f.ReadAt(at, dst, n); },
           f.Size());
  try {
    return Parse(c, f.Size());
  } catch (const Error& e) {
    throw Error(e.Status(), path + ": " + e.what());
  }
}

bool IsGgufFile(const std::string& path) {
  try {
    const detail::ReadFile f(path);
    char magic[4];
    if (f.Size() < 4) return false;
    f.ReadAt(0, magic, 4);
    return std::memcmp(magic, "GGUF", 4) == 0;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace kldkit
