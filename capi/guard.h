// Helpers shared by the C ABI bodies: the catch-all guard that turns every
// exception into a status plus the thread-local message, argument checks,
// and the struct_size rules of options and output structs. Not installed.
#ifndef KLDKIT_CAPI_GUARD_H_
#define KLDKIT_CAPI_GUARD_H_

#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <gsl/narrow>

#include "kldkit.h"
#include "kldkit/error.hpp"
#include "kldkit/row.hpp"
#include "lib/common/error.h"

namespace kldkit {
namespace capi {

// Records `message` (or the status name when it is empty) as this thread's
// last error and returns `status`. Never throws: if even the copy fails, a
// constant message is kept.
kldkit_status Fail(kldkit_status status, const char* fn,
                   const char* message) noexcept;

// Runs `body` and maps what it throws to a status. Every extern "C" body
// goes through here, so no exception ever reaches the caller.
template <typename F>
kldkit_status Guard(const char* fn, F&& body) noexcept {
  try {
    body();
    return KLDKIT_OK;
  } catch (const Error& e) {
    return Fail(e.Status(), fn, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(KLDKIT_ERROR_OUT_OF_MEMORY, fn, "out of memory");
  } catch (const gsl::narrowing_error&) {
    return Fail(KLDKIT_ERROR_INVALID_ARGUMENT, fn,
                "a size does not fit the type it is stored in");
  } catch (const std::exception& e) {
    return Fail(KLDKIT_ERROR_INTERNAL, fn, e.what());
  } catch (...) {
    return Fail(KLDKIT_ERROR_INTERNAL, fn, "unknown exception");
  }
}

// Throws INVALID_ARGUMENT "fn: message" unless `ok`.
inline void Check(bool ok, const char* fn, const char* message) {
  if (!ok) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + message);
  }
}

// The body of every kldkit_*_options_init: *options = defaults, or
// INVALID_ARGUMENT for NULL.
template <typename T>
kldkit_status InitOptions(const char* fn, T* options,
                          const T& defaults) noexcept {
  return Guard(fn, [&] {
    Check(options != nullptr, fn, "options is NULL");
    *options = defaults;
  });
}

// Throws CLOSED "fn: the handle is closed" if `closed`.
void CheckOpen(bool closed, const char* fn);

// Options structs: NULL means defaults; a struct_size below sizeof(size_t)
// (zero included) is INVALID_ARGUMENT. Callers then read a field only when
// struct_size covers it entirely (KLDKIT_CAPI_COVERS).
template <typename T>
void CheckOptionsSize(const T* in, const char* fn) {
  Check(in == nullptr || in->struct_size >= sizeof(size_t), fn,
        "options struct_size is smaller than sizeof(size_t): set it with "
        "the _INIT macro or the _options_init() function");
}

// Copies `full` into the caller's output struct `out`, up to
// out->struct_size bytes, keeping the caller's struct_size. The caller must
// have checked out->struct_size >= min_size.
template <typename T>
void CopyOut(T* out, const T& full) {
  const size_t n = out->struct_size < sizeof(T) ? out->struct_size : sizeof(T);
  if (n > sizeof(size_t)) {
    std::memcpy(reinterpret_cast<char*>(out) + sizeof(size_t),
                reinterpret_cast<const char*>(&full) + sizeof(size_t),
                n - sizeof(size_t));
  }
}

// A C row as a C++ RowView; checks the pointer and the type value.
RowView ToRowView(const kldkit_row* row, const char* fn, const char* name);

}  // namespace capi
}  // namespace kldkit

// True when options struct `p` (not NULL) covers `field` entirely.
#define KLDKIT_CAPI_COVERS(p, type, field) \
  (offsetof(type, field) + sizeof((p)->field) <= (p)->struct_size)

#endif  // KLDKIT_CAPI_GUARD_H_
