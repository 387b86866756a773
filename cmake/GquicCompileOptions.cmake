# Warnings and sanitizers shared by every gquic target.
add_library(gquic_compile_options INTERFACE)
target_compile_options(gquic_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(GQUIC_SANITIZE)
  add_compile_options(-fsanitize=${GQUIC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${GQUIC_SANITIZE})
endif()

if(GQUIC_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GQUIC_BUILD_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# A library of gquic: static, public headers under include/, warnings on.
function(gquic_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gquic_${name} STATIC ${ARG_SOURCES})
  add_library(gquic::${name} ALIAS gquic_${name})
  set_target_properties(gquic_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(gquic_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_link_libraries(gquic_${name} PUBLIC ${ARG_PUBLIC_DEPS}
                                      PRIVATE ${ARG_PRIVATE_DEPS} gquic_compile_options)
  set_property(GLOBAL APPEND PROPERTY GQUIC_LIBRARIES gquic_${name})
endfunction()
