# The C ABI's sources, compiled into kldkit_objects (lib/CMakeLists.txt).
target_sources(kldkit_objects PRIVATE
  ${PROJECT_SOURCE_DIR}/capi/kldkit.cc
  ${PROJECT_SOURCE_DIR}/capi/kernels.cc
  ${PROJECT_SOURCE_DIR}/capi/reader.cc
  ${PROJECT_SOURCE_DIR}/capi/writer.cc
  ${PROJECT_SOURCE_DIR}/capi/convert.cc
  ${PROJECT_SOURCE_DIR}/capi/accumulator.cc
  ${PROJECT_SOURCE_DIR}/capi/batch.cc
  ${PROJECT_SOURCE_DIR}/capi/compare_files.cc
  ${PROJECT_SOURCE_DIR}/capi/buffer.cc
  ${PROJECT_SOURCE_DIR}/capi/kldz.cc
  ${PROJECT_SOURCE_DIR}/capi/kldz_writer.cc
  ${PROJECT_SOURCE_DIR}/capi/measures.cc
  ${PROJECT_SOURCE_DIR}/capi/report.cc)
