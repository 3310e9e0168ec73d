// FUZZ_CHECK: an invariant of the code under test. A violation aborts, so
// libFuzzer (and the regression driver) report it as a crash with the input.
#ifndef KLDKIT_TESTS_FUZZ_FUZZ_CHECK_H_
#define KLDKIT_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                 \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,   \
                   __LINE__, #cond);                                     \
      std::abort();                                                      \
    }                                                                    \
  } while (0)

// Runs `stmt`, which must fail with kldkit::Error (any status).
#define FUZZ_EXPECT_ERROR(stmt)          \
  do {                                   \
    bool threw_ = false;                 \
    try {                                \
      stmt;                              \
    } catch (const kldkit::Error&) {     \
      threw_ = true;                     \
    }                                    \
    FUZZ_CHECK(threw_ && #stmt);         \
  } while (0)

#endif  // KLDKIT_TESTS_FUZZ_FUZZ_CHECK_H_
