// The first bytes of a kldkit token file (lib/evaluation/token_file_*),
// here so that DetectFileKind knows every format's magic. Not installed.
#ifndef KLDKIT_LIB_STORAGE_TOKEN_MAGIC_H_
#define KLDKIT_LIB_STORAGE_TOKEN_MAGIC_H_

namespace kldkit {
namespace detail {

constexpr char kTokenMagic[8] = {'K', 'L', 'D', 'T', 'O', 'K', 'E', 'N'};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_TOKEN_MAGIC_H_
