#include "lib/storage/npy_format.h"

#include <cstring>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {
namespace {

constexpr uint64_t kMaxElements = uint64_t{1} << 61;  // bytes fit in uint64

// The dictionary numpy writes: a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (252, 32000), }
// Only the three keys numpy uses, string/bool/int-tuple values.
class DictParser {
 public:
  DictParser(const std::string& text, const std::string& path)
      : text_(text), path_(path) {}

  NpyHeader Parse() {
    bool have_descr = false, have_order = false, have_shape = false;
    std::string descr;
    bool fortran_order = false;
    std::vector<uint64_t> shape;
    Expect('{');
    while (!Accept('}')) {
      const std::string key = String();
      Expect(':');
      if (key == "descr" && !have_descr) {
        have_descr = true;
        SkipSpace();
        if (Peek() == '[') Fail(KLDKIT_ERROR_UNSUPPORTED, "structured dtype");
        descr = String();
      } else if (key == "fortran_order" && !have_order) {
        have_order = true;
        fortran_order = Bool();
      } else if (key == "shape" && !have_shape) {
        have_shape = true;
        shape = Tuple();
      } else {
        Fail(KLDKIT_ERROR_FORMAT, "unexpected or repeated key '" + key + "'");
      }
      if (!Accept(',')) {
        Expect('}');
        break;
      }
    }
    SkipSpace();
    if (pos_ != text_.size()) Fail(KLDKIT_ERROR_FORMAT, "text after '}'");
    if (!have_descr || !have_order || !have_shape) {
      Fail(KLDKIT_ERROR_FORMAT, "needs descr, fortran_order and shape");
    }
    return Build(descr, fortran_order, shape);
  }

 private:
  [[noreturn]] void Fail(kldkit_status status, const std::string& what) {
    Throw(status, path_ + ": .npy header: " + what);
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Accept(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void Expect(char c) {
    if (!Accept(c)) Fail(KLDKIT_ERROR_FORMAT, std::string("expected '") + c + "'");
  }

  std::string String() {
    SkipSpace();
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail(KLDKIT_ERROR_FORMAT, "expected a string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) Fail(KLDKIT_ERROR_FORMAT, "unterminated string");
    std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
    if (s.find('\\') != std::string::npos) {
      Fail(KLDKIT_ERROR_FORMAT, "escape in a string");
    }
    pos_ = end + 1;
    return s;
  }

  bool Bool() {
    SkipSpace();
    for (const char* word : {"True", "False"}) {
      const size_t n = std::strlen(word);
      if (text_.compare(pos_, n, word) == 0) {
        pos_ += n;
        return word[0] == 'T';
      }
    }
    Fail(KLDKIT_ERROR_FORMAT, "fortran_order is not True or False");
  }

  uint64_t Integer() {
    SkipSpace();
    if (Peek() < '0' || Peek() > '9') Fail(KLDKIT_ERROR_FORMAT, "expected a dimension");
    uint64_t v = 0;
    while (Peek() >= '0' && Peek() <= '9') {
      if (v > kMaxElements / 10) Fail(KLDKIT_ERROR_FORMAT, "dimension too large");
      v = v * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
    }
    if (Peek() == 'L') ++pos_;  // Python 2 long literal
    return v;
  }

  std::vector<uint64_t> Tuple() {
    std::vector<uint64_t> dims;
    Expect('(');
    while (!Accept(')')) {
      if (dims.size() == 8) Fail(KLDKIT_ERROR_UNSUPPORTED, "too many dimensions");
      dims.push_back(Integer());
      if (!Accept(',')) {
        Expect(')');
        break;
      }
    }
    return dims;
  }

  NpyHeader Build(const std::string& descr, bool fortran_order,
                  const std::vector<uint64_t>& shape) {
    NpyHeader h;
    if (descr == "<f4") {
      h.dtype = NpyDtype::kF32;
    } else if (descr == "<f2") {
      h.dtype = NpyDtype::kF16;
      h.item_size = 2;
    } else if (descr == "<i4") {
      h.dtype = NpyDtype::kI32;
    } else if (!descr.empty() && descr[0] == '>') {
      Fail(KLDKIT_ERROR_UNSUPPORTED, "big-endian dtype '" + descr + "'");
    } else {
      Fail(KLDKIT_ERROR_UNSUPPORTED,
           "dtype '" + descr + "' (supported: <f4, <f2, <i4)");
    }
    if (fortran_order) Fail(KLDKIT_ERROR_UNSUPPORTED, "fortran_order True");
    if (shape.empty() || shape.size() > 2) {
      Fail(KLDKIT_ERROR_UNSUPPORTED,
           std::to_string(shape.size()) + " dimensions (supported: 1 or 2)");
    }
    h.shape = shape;
    h.elements = 1;
    for (uint64_t d : shape) {
      if (d != 0 && h.elements > kMaxElements / d) {
        Fail(KLDKIT_ERROR_FORMAT, "shape too large");
      }
      h.elements *= d;
    }
    return h;
  }

  const std::string& text_;
  const std::string& path_;
  size_t pos_ = 0;
};

// Reads the 10- or 12-byte preamble; returns the dictionary's length and
// sets `dict_offset`.
uint32_t ReadPreamble(const ReadFile& file, uint64_t* dict_offset) {
  const std::string& path = file.Path();
  unsigned char pre[12] = {};
  const uint64_t size = file.Size();
  const size_t have = size < 10 ? static_cast<size_t>(size) : 10;
  file.ReadAt(0, pre, have);
  if (std::memcmp(pre, kNpyMagic, have < 6 ? have : 6) != 0) {
    Throw(KLDKIT_ERROR_FORMAT, path + ": not a .npy file (no \\x93NUMPY magic)");
  }
  if (have < 10) {
    Throw(KLDKIT_ERROR_TRUNCATED, path + ": ends inside the .npy preamble");
  }
  const unsigned major = pre[6], minor = pre[7];
  if (minor != 0 || major < 1 || major > 3) {
    Throw(KLDKIT_ERROR_UNSUPPORTED, path + ": .npy format version " +
                                        std::to_string(major) + "." +
                                        std::to_string(minor));
  }
  if (major == 1) {
    *dict_offset = 10;
    return uint32_t{pre[8]} | uint32_t{pre[9]} << 8;
  }
  if (size < 12) {
    Throw(KLDKIT_ERROR_TRUNCATED, path + ": ends inside the .npy preamble");
  }
  file.ReadAt(10, pre + 10, 2);
  *dict_offset = 12;
  return uint32_t{pre[8]} | uint32_t{pre[9]} << 8 | uint32_t{pre[10]} << 16 |
         uint32_t{pre[11]} << 24;
}

}  // namespace

NpyHeader ParseNpyDict(const std::string& text, const std::string& path) {
  return DictParser(text, path).Parse();
}

NpyHeader ReadNpyHeader(const ReadFile& file) {
  const std::string& path = file.Path();
  uint64_t dict_offset = 0;
  const uint32_t dict_bytes = ReadPreamble(file, &dict_offset);
  if (dict_bytes > kNpyMaxHeaderBytes) {
    Throw(KLDKIT_ERROR_FORMAT, path + ": .npy header length " +
                                   std::to_string(dict_bytes) + " exceeds " +
                                   std::to_string(kNpyMaxHeaderBytes));
  }
  if (file.Size() < dict_offset + dict_bytes) {
    Throw(KLDKIT_ERROR_TRUNCATED, path + ": ends inside the .npy header");
  }
  std::string text(dict_bytes, '\0');
  file.ReadAt(dict_offset, &text[0], dict_bytes);
  NpyHeader h = ParseNpyDict(text, path);
  h.data_offset = dict_offset + dict_bytes;
  const uint64_t data_bytes = file.Size() - h.data_offset;
  const uint64_t want = h.elements * h.item_size;
  if (data_bytes > want) {
    Throw(KLDKIT_ERROR_FORMAT, path + ": " + std::to_string(data_bytes - want) +
                                   " unexpected bytes after the array data");
  }
  if (data_bytes < want) {
    const uint64_t rows = h.shape.size() == 2 ? h.shape[0] : 1;
    const uint64_t row_bytes = want / (rows == 0 ? 1 : rows);
    Throw(KLDKIT_ERROR_TRUNCATED,
          path + ": truncated: " + std::to_string(data_bytes / row_bytes) +
              " of " + std::to_string(rows) + " rows complete");
  }
  return h;
}

std::string FormatNpyHeader(const std::string& descr,
                            const std::vector<uint64_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    dict += (shape.size() == 1 || i + 1 < shape.size()) ? "," : "";
    dict += i + 1 < shape.size() ? " " : "";
  }
  dict += "), }";
  // Version 1.0 has a 2-byte length; the dictionary plus '\n' is padded so
  // that preamble + dictionary is a multiple of 64.
  const bool v2 = dict.size() + 1 + 10 + 63 > 0xffff;
  const size_t preamble = v2 ? 12 : 10;
  const size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kNpyMagic, sizeof(kNpyMagic));
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const size_t n = dict.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (v2) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + dict;
}

}  // namespace detail
}  // namespace kldkit
