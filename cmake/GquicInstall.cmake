# `cmake --install` puts headers, libraries and a package config in place so another project
# can `find_package(gquic)` and link `gquic::gquic`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(gquic_libraries GLOBAL PROPERTY GQUIC_LIBRARIES)
add_library(gquic_all INTERFACE)
set_target_properties(gquic_all PROPERTIES EXPORT_NAME gquic)
target_link_libraries(gquic_all INTERFACE ${gquic_libraries})
add_library(gquic::gquic ALIAS gquic_all)

install(TARGETS ${gquic_libraries} gquic_all gquic_asio gquic_compile_options
        EXPORT gquicTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/gquic DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET gquic_cli)
  install(TARGETS gquic_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT gquicTargets NAMESPACE gquic:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gquic)
configure_package_config_file(cmake/gquicConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/gquicConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gquic)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/gquicConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gquicConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/gquicConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gquic)
