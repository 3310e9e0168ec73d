# Install-time script: writes kldkit.pc with the prefix actually installed to
# (cmake --install --prefix may differ from CMAKE_INSTALL_PREFIX at configure
# time), then installs it. Inputs are set by install(CODE) in install.cmake.
set(KLDKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(_kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${KLDKIT_INSTALL_${_kind}}")
    set(KLDKIT_PC_${_kind} "${KLDKIT_INSTALL_${_kind}}")
  else()
    set(KLDKIT_PC_${_kind} "\${prefix}/${KLDKIT_INSTALL_${_kind}}")
  endif()
endforeach()
configure_file("${KLDKIT_PC_IN}" "${KLDKIT_PC_OUT}" @ONLY)
if(IS_ABSOLUTE "${KLDKIT_INSTALL_LIBDIR}")
  set(_pc_dir "${KLDKIT_INSTALL_LIBDIR}/pkgconfig")
else()
  set(_pc_dir "${CMAKE_INSTALL_PREFIX}/${KLDKIT_INSTALL_LIBDIR}/pkgconfig")
endif()
file(INSTALL "${KLDKIT_PC_OUT}" DESTINATION "${_pc_dir}")
