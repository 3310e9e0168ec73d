// Shared by the C ABI tests: checking a failing call's status and message.
#ifndef KLDKIT_TESTS_CAPI_CAPI_TEST_UTIL_H_
#define KLDKIT_TESTS_CAPI_CAPI_TEST_UTIL_H_

#include <string>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "lib/common/error.h"

// Clears this thread's last error, runs `call`, and expects `status` and a
// fresh, non-empty message (so a stale message from an earlier call cannot
// pass).
#define KLDKIT_EXPECT_FAILURE(call, status)                                  \
  do {                                                                       \
    ::kldkit::detail::SetLastError("");                                      \
    const kldkit_status kldkit_s_ = (call);                                  \
    EXPECT_EQ(kldkit_s_, (status))                                           \
        << #call << ": " << kldkit_status_string(kldkit_s_) << ": "         \
        << kldkit_last_error();                                              \
    EXPECT_STRNE(kldkit_last_error(), "") << #call;                          \
  } while (0)

#endif  // KLDKIT_TESTS_CAPI_CAPI_TEST_UTIL_H_
