// Options structs shared by several C ABI files. Not installed.
#ifndef KLDKIT_CAPI_OPTIONS_H_
#define KLDKIT_CAPI_OPTIONS_H_

#include "kldkit.h"
#include "kldkit/kernels.hpp"

namespace kldkit {
namespace capi {

// kldkit_quantize_options (NULL: defaults) as QuantizeOptions; throws
// INVALID_ARGUMENT for a struct_size below sizeof(size_t).
QuantizeOptions ReadQuantizeOptions(const kldkit_quantize_options* in,
                                    const char* fn);

// Decode threads of kldkit_kldz_read_options (NULL: 1); throws
// INVALID_ARGUMENT outside [1, 64].
unsigned ReadDecodeThreads(const kldkit_kldz_read_options* in,
                           const char* fn);

}  // namespace capi
}  // namespace kldkit

#endif  // KLDKIT_CAPI_OPTIONS_H_
