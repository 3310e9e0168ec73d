# Debian packages: `cpack -G DEB` in a build folder gives
#   libkldkit0     the shared library (component runtime)
#   libkldkit-dev  headers, static library, CMake and pkg-config files (dev)
#   kldkit         the command line (cli)
# Depends of the binaries' packages come from dpkg-shlibdeps; the -dev
# package's are stated (what its headers and CMake package find).
set(CPACK_PACKAGE_NAME kldkit)
set(CPACK_PACKAGE_VENDOR "The kldkit authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Install scripts (kldkit.pc) must see the final prefix, /usr: staged
# with DESTDIR, whose prefix is CPACK_INSTALL_PREFIX.
set(CPACK_SET_DESTDIR ON)
set(CPACK_COMPONENTS_ALL runtime dev cli)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The kldkit authors")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libkldkit${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "KL-divergence metrics for quantized LLMs (shared library)
 llama.cpp-compatible KLD statistics, compressed base-logit files and SIMD
 kernels behind a stable C API.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libkldkit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libkldkit${PROJECT_VERSION_MAJOR} (= ${PROJECT_VERSION}), libhwy-dev, libzstd-dev, libmsgsl-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "KL-divergence metrics for quantized LLMs (development files)
 Headers of the C and C++ APIs, the static library, the CMake package
 (find_package(kldkit)) and kldkit.pc.")
set(CPACK_DEBIAN_CLI_PACKAGE_NAME kldkit)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION science)
set(CPACK_DEBIAN_CLI_DESCRIPTION
    "KL-divergence metrics for quantized LLMs (command line)
 kldkit compare, rank, convert, verify and demo: llama.cpp's KLD report
 from base-logit files, compressed .kldz bases.")
include(CPack)
