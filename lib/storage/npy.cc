// NpyReader: header validated against the file size, rows read on demand
// with pread (thread-safe), float16 widened in place.
#include "kldkit/npy.hpp"

#include <cstring>

#include "lib/common/error.h"
#include "lib/storage/io_file.h"
#include "lib/storage/npy_format.h"
#include "lib/storage/npy_half.h"

namespace kldkit {

struct NpyReader::Impl {
  explicit Impl(const std::string& path) : file(path) {}

  detail::ReadFile file;
  detail::NpyHeader header;
};

NpyReader::NpyReader(const std::string& path)
    : impl_(std::make_unique<Impl>(path)) {
  impl_->header = detail::ReadNpyHeader(impl_->file);
}

NpyReader::~NpyReader() = default;

const std::string& NpyReader::Path() const { return impl_->file.Path(); }
NpyDtype NpyReader::Dtype() const { return impl_->header.dtype; }
uint64_t NpyReader::DataOffset() const { return impl_->header.data_offset; }
const std::vector<uint64_t>& NpyReader::Shape() const {
  return impl_->header.shape;
}
uint64_t NpyReader::Rows() const {
  return Shape().size() == 2 ? Shape()[0] : 1;
}
uint64_t NpyReader::Cols() const { return Shape().back(); }

void NpyReader::ReadRow(uint64_t row, gsl::span<float> out) const {
  const detail::NpyHeader& h = impl_->header;
  const std::string& path = Path();
  if (h.dtype == NpyDtype::kI32) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": ReadRow on an int32 array");
  }
  if (row >= Rows()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": row " + std::to_string(row) + " requested, the " +
                      "array has " + std::to_string(Rows()));
  }
  const uint64_t cols = Cols();
  if (out.size() != cols) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": ReadRow output holds " +
                      std::to_string(out.size()) + " floats, a row has " +
                      std::to_string(cols));
  }
  const size_t n = static_cast<size_t>(cols);
  const uint64_t offset = h.data_offset + row * cols * h.item_size;
  if (h.dtype == NpyDtype::kF32) {
    impl_->file.ReadAt(offset, out.data(), n * sizeof(float));
    return;
  }
  // float16: read the halves into the upper half of `out`'s bytes and widen
  // front to back. Half i sits at byte 2n + 2i and float i is written at
  // bytes [4i, 4i + 4), which never passes an unread half (4i + 4 <= 2n +
  // 2(i + 1) because i < n), so no scratch buffer is needed.
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  impl_->file.ReadAt(offset, bytes + 2 * n, 2 * n);
  for (size_t i = 0; i < n; ++i) {
    uint16_t half;
    std::memcpy(&half, bytes + 2 * n + 2 * i, sizeof(half));
    out[i] = detail::HalfToFloat(half);
  }
}

std::vector<int32_t> NpyReader::ReadInt32() const {
  const detail::NpyHeader& h = impl_->header;
  if (h.dtype != NpyDtype::kI32) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  Path() + ": ReadInt32 on a float array");
  }
  // The size was checked against the file size when the header was read.
  std::vector<int32_t> values(static_cast<size_t>(h.elements));
  impl_->file.ReadAt(h.data_offset, values.data(),
                     values.size() * sizeof(int32_t));
  return values;
}

}  // namespace kldkit
