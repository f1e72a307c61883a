# strata_add_backend(NAME): compiles src/backends/NAME/*.cpp into the library. A backend's
# own dependencies are found in src/backends/NAME/backend.cmake when that file exists.
function(strata_add_backend name)
  set(dir ${CMAKE_SOURCE_DIR}/src/backends/${name})
  if(EXISTS ${dir}/backend.cmake)
    include(${dir}/backend.cmake)
  endif()
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  target_sources(strata PRIVATE ${sources})
  set_property(GLOBAL APPEND PROPERTY STRATA_BACKENDS ${name})
endfunction()
