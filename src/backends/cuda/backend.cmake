# Dependencies of the cuda backend: the CUDA toolkit (nvcc, cudart, cuBLAS/cuBLASLt) and cuDNN 9.
# The top-level CMakeLists enabled the CUDA language when STRATA_CUDA is on and nvcc was found;
# without it (or without cuDNN) the backend's .cpp compiles to the stub API in include/strata/cuda.h.
if(STRATA_CUDA_ENABLED)
  find_package(CUDAToolkit REQUIRED)
  find_path(STRATA_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(STRATA_CUDNN_LIBRARY NAMES cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib)
  if(STRATA_CUDNN_INCLUDE_DIR AND STRATA_CUDNN_LIBRARY)
    message(STATUS "Strata: cuda backend with CUDA ${CUDAToolkit_VERSION}, cuDNN ${STRATA_CUDNN_LIBRARY}, archs ${CMAKE_CUDA_ARCHITECTURES}")
    file(GLOB cuda_sources CONFIGURE_DEPENDS ${dir}/*.cu)
    target_sources(strata PRIVATE ${cuda_sources})
    target_include_directories(strata PRIVATE ${STRATA_CUDNN_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    # cudart static: libstrata loads without the CUDA runtime installed (only libcuda, the
    # driver, is opened at run time, and its absence is reported, not fatal).
    target_link_libraries(strata PRIVATE CUDA::cudart_static CUDA::cublas CUDA::cublasLt ${STRATA_CUDNN_LIBRARY})
    target_compile_definitions(strata PRIVATE STRATA_CUDA_BACKEND=1)
    target_compile_options(strata PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--extended-lambda --expt-relaxed-constexpr -Xcompiler=-fno-math-errno>)
  else()
    message(STATUS "Strata: cuDNN not found; the cuda backend is not built")
  endif()
else()
  message(STATUS "Strata: CUDA toolkit not found or STRATA_CUDA=OFF; the cuda backend is not built")
endif()
