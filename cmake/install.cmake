# Install and export (included by the top-level CMakeLists.txt when
# KLDKIT_INSTALL is on): headers, shared and static libraries, the CMake
# package (kldkitConfig.cmake + version file) and kldkit.pc.
include(CMakePackageConfigHelpers)

set(KLDKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/kldkit" CACHE STRING
    "Where kldkitConfig.cmake is installed, relative to the prefix")

# Components (the Debian packages of cmake/package.cmake): runtime (the
# shared library under its SONAME), dev (everything to build against it),
# cli (tools/CMakeLists.txt).
install(TARGETS kldkit kldkit_static EXPORT kldkit-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
          NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES "${PROJECT_SOURCE_DIR}/capi/kldkit.h"
              "${PROJECT_SOURCE_DIR}/capi/kldkit_handles.hpp"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/kldkit"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.hpp")

# Targets kldkit::kldkit and kldkit::kldkit_static, for installed and for
# build-tree consumers.
install(EXPORT kldkit-targets NAMESPACE kldkit::
        DESTINATION ${KLDKIT_CMAKE_DIR} FILE kldkit-targets.cmake
        COMPONENT dev)
export(EXPORT kldkit-targets NAMESPACE kldkit::
       FILE "${PROJECT_BINARY_DIR}/kldkit-targets.cmake")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/kldkit-config.cmake.in"
  "${PROJECT_BINARY_DIR}/kldkitConfig.cmake"
  INSTALL_DESTINATION ${KLDKIT_CMAKE_DIR})
# SameMajorVersion matches the SONAME: one major version, one ABI.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/kldkitConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/kldkitConfig.cmake"
              "${PROJECT_BINARY_DIR}/kldkitConfigVersion.cmake"
        DESTINATION ${KLDKIT_CMAKE_DIR} COMPONENT dev)

# kldkit.pc is written at install time, for the prefix actually used.
install(CODE "
  set(KLDKIT_PC_IN \"${PROJECT_SOURCE_DIR}/cmake/kldkit.pc.in\")
  set(KLDKIT_PC_OUT \"${PROJECT_BINARY_DIR}/pkgconfig/kldkit.pc\")
  set(KLDKIT_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(KLDKIT_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(KLDKIT_PC_DESCRIPTION \"${PROJECT_DESCRIPTION}\")
  set(KLDKIT_PC_VERSION \"${PROJECT_VERSION}\")" COMPONENT dev)
install(SCRIPT "${PROJECT_SOURCE_DIR}/cmake/kldkit-pc.cmake" COMPONENT dev)

include(${PROJECT_SOURCE_DIR}/cmake/package.cmake)
