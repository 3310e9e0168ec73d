// The .npy preamble and header dictionary: parse (hostile input) and format
// (what np.save writes). Not installed.
#ifndef KLDKIT_LIB_STORAGE_NPY_FORMAT_H_
#define KLDKIT_LIB_STORAGE_NPY_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/npy.hpp"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace detail {

// Header dictionaries longer than this are rejected as FORMAT before being
// read (numpy itself refuses more than 10000 bytes by default).
constexpr uint32_t kNpyMaxHeaderBytes = 1u << 20;
constexpr char kNpyMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

struct NpyHeader {
  NpyDtype dtype = NpyDtype::kF32;
  size_t item_size = 4;
  std::vector<uint64_t> shape;  // 1 or 2 entries
  uint64_t data_offset = 0;     // first data byte
  uint64_t elements = 0;        // product of shape
};

// Reads and validates the preamble and header of `file`, and checks the
// data size against the file size. Throws as NpyReader's constructor.
NpyHeader ReadNpyHeader(const ReadFile& file);

// Parses the header dictionary text alone (for tests and fuzzing); `path`
// names the file in messages. Fills dtype, item_size, shape and elements.
NpyHeader ParseNpyDict(const std::string& text, const std::string& path);

// The bytes np.save writes before the data: format 1.0 (2.0 if the
// dictionary needs it), dictionary padded with spaces and '\n' so that the
// data starts at a multiple of 64 bytes.
std::string FormatNpyHeader(const std::string& descr,
                            const std::vector<uint64_t>& shape);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_NPY_FORMAT_H_
