# Cross-build for arm64 with Debian's cross compiler and arm64 (multiarch)
# libraries; tests run under qemu-aarch64. Used by .ci/arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Headers and CMake configs of architecture-independent packages (GSL,
# CLI11, xxhash.h) live under /usr; libraries under the multiarch folder.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# qemu-user's CPU comes from QEMU_CPU (.ci/arm64 sets
# max,sve-default-vector-length=16|32|64; unset, qemu's default "max" with
# 512-bit SVE). The arm64 loader and libraries are Debian's multiarch ones.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
endif()
