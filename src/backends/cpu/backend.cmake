# Dependencies of the cpu backend: oneDNN (libdnnl-dev) and OpenMP. When either is missing the
# backend's sources compile to nothing (they are guarded by STRATA_CPU_BACKEND) and only the
# thread-count API remains, as a no-op.
find_path(STRATA_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(STRATA_DNNL_LIBRARY NAMES dnnl)
find_package(OpenMP COMPONENTS CXX QUIET)
if(STRATA_DNNL_INCLUDE_DIR AND STRATA_DNNL_LIBRARY AND OpenMP_CXX_FOUND)
  message(STATUS "Strata: cpu backend with oneDNN (${STRATA_DNNL_LIBRARY}) and OpenMP")
  target_include_directories(strata PRIVATE ${STRATA_DNNL_INCLUDE_DIR})
  target_link_libraries(strata PRIVATE ${STRATA_DNNL_LIBRARY} OpenMP::OpenMP_CXX)
  target_compile_definitions(strata PRIVATE STRATA_CPU_BACKEND=1)
else()
  message(STATUS "Strata: oneDNN or OpenMP not found; the cpu backend is not built")
endif()
