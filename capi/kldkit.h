/*
 * kldkit: KL-divergence metrics for quantized LLMs -- the stable C interface.
 *
 * This header is the contract other tools link to (see docs/ and DESIGN.md):
 * every symbol starts with kldkit_, every macro with KLDKIT_; only <stddef.h>
 * and <stdint.h> are included; no C++ type or exception crosses it.
 *
 * Errors: every fallible call returns a kldkit_status; the detail is a
 * one-line message read with kldkit_last_error() on the same thread.
 *
 * Anything not declared here is unpublished and may change without notice.
 */
#ifndef KLDKIT_H_
#define KLDKIT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define KLDKIT_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define KLDKIT_API __attribute__((visibility("default")))
#else
#  define KLDKIT_API
#endif

/* ---- Version ------------------------------------------------------------ */

#define KLDKIT_VERSION_MAJOR 0
#define KLDKIT_VERSION_MINOR 1
#define KLDKIT_VERSION_PATCH 0
#define KLDKIT_VERSION_NUMBER \
  (KLDKIT_VERSION_MAJOR * 10000 + KLDKIT_VERSION_MINOR * 100 + KLDKIT_VERSION_PATCH)

/* KLDKIT_VERSION_NUMBER of the library actually loaded (compare with the
 * header's macro to detect a header/library mismatch). Since 0.1. */
KLDKIT_API unsigned kldkit_version_number(void);
/* "MAJOR.MINOR.PATCH" of the loaded library; static storage. Since 0.1. */
KLDKIT_API const char* kldkit_version_string(void);

/* ---- Status codes -------------------------------------------------------- */

/* Values are pinned: they never change once released. */
typedef enum kldkit_status {
  KLDKIT_OK = 0,
  KLDKIT_ERROR_INVALID_ARGUMENT = 1, /* NULL, size, range, wrong row kind */
  KLDKIT_ERROR_NON_FINITE = 2,       /* NaN or +inf where a number is needed */
  KLDKIT_ERROR_OUT_OF_MEMORY = 3,
  KLDKIT_ERROR_IO = 4,               /* the OS refused a read or a write */
  KLDKIT_ERROR_FORMAT = 5,           /* bytes that are not a valid file/state */
  KLDKIT_ERROR_TRUNCATED = 6,        /* valid so far, but ends early */
  KLDKIT_ERROR_CHECKSUM = 7,         /* stored checksum does not match */
  KLDKIT_ERROR_MISMATCH = 8,         /* inputs disagree: vocab, tokens, rows */
  KLDKIT_ERROR_INCOMPATIBLE = 9,     /* merge of differently configured state */
  KLDKIT_ERROR_UNSUPPORTED = 10,     /* future version, unknown element type */
  KLDKIT_ERROR_CANCELLED = 11,       /* a progress callback asked to stop */
  KLDKIT_ERROR_CLOSED = 12,          /* call on a handle already closed */
  KLDKIT_ERROR_INTERNAL = 13         /* a kldkit bug: please report it */
} kldkit_status;

/* A short constant name for a status ("invalid argument"); never NULL. */
KLDKIT_API const char* kldkit_status_string(kldkit_status status);

/* The message of the last failing kldkit call on this thread, or "" if none
 * failed yet. Valid until the next kldkit call on this thread. */
KLDKIT_API const char* kldkit_last_error(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KLDKIT_H_ */
