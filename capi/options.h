// Options structs shared by several C ABI files. Not installed.
#ifndef KLDKIT_CAPI_OPTIONS_H_
#define KLDKIT_CAPI_OPTIONS_H_

#include "kldkit.h"
#include <map>
#include <string>

#include "kldkit/container.hpp"
#include "kldkit/kernels.hpp"

namespace kldkit {
namespace capi {

// A kldkit_compare_mode field; throws INVALID_ARGUMENT for an unknown one.
CompareMode ReadMode(uint32_t mode, const char* fn);
// The threads field of the compare calls; throws INVALID_ARGUMENT outside
// [1, 1024].
size_t ReadCompareThreads(uint32_t threads, const char* fn);

// kldkit_quantize_options (NULL: defaults) as QuantizeOptions; throws
// INVALID_ARGUMENT for a struct_size below sizeof(size_t).
QuantizeOptions ReadQuantizeOptions(const kldkit_quantize_options* in,
                                    const char* fn);

// kldkit_kldz_options (NULL: defaults): level, threads, rows per block,
// keep profile, floor; throws INVALID_ARGUMENT for values out of range.
ContainerOptions ReadKldzOptions(const kldkit_kldz_options* in, const char* fn);

// The options' metadata entries; none for NULL options or a struct_size
// from before the metadata fields. Throws INVALID_ARGUMENT for a NULL,
// empty or repeated key or a NULL value.
std::map<std::string, std::string> ReadMetadata(const kldkit_kldz_options* in,
                                                const char* fn);

// Decode threads of kldkit_kldz_read_options (NULL: 1); throws
// INVALID_ARGUMENT outside [1, 64].
unsigned ReadDecodeThreads(const kldkit_kldz_read_options* in,
                           const char* fn);

}  // namespace capi
}  // namespace kldkit

#endif  // KLDKIT_CAPI_OPTIONS_H_
