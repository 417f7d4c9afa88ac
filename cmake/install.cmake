# SPDX-License-Identifier: MIT
# `make install` / `cmake --install`: the CLI, libtapkit.a, libtapkit.so.0 (SONAME, version
# 0.1.0), the header, tapkit.pc for pkg-config and a CMake package (find_package(tapkit) gives
# tapkit::tapkit, the shared library, and tapkit::tapkit_static). Included from CMakeLists.txt on
# Linux only: the Windows build is a static tapkit.exe copied by hand (docs/windows.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The targets name include/ by a source-tree path; an exported target must not, so the build tree
# keeps that path and the installed package gets the install include dir (install(TARGETS ...
# INCLUDES DESTINATION) below).
set_target_properties(tapkit_static tapkit_shared PROPERTIES
	INTERFACE_INCLUDE_DIRECTORIES "$<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>")
set_target_properties(tapkit_shared PROPERTIES EXPORT_NAME tapkit)
set_target_properties(tapkit_static PROPERTIES EXPORT_NAME tapkit_static)

# bin, not sbin: list, show, doctor, genkey/pubkey and open on an adapter the user owns are meant
# for unprivileged users, and Debian's default user PATH has no sbin. The man page stays in
# section 8 (system administration) like ip(8), which is in bin too.
install(TARGETS tapkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tapkit_shared EXPORT tapkitTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT dev
	INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tapkit_static EXPORT tapkitStaticTargets
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/tapkit.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: the .pc names the configure-time prefix (make install re-configures with PREFIX),
# so a DESTDIR staging tree is read with PKG_CONFIG_SYSROOT_DIR (tests/install/test_install.sh).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
	set(TK_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
	set(TK_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
	set(TK_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
	set(TK_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/tapkit.pc.in ${CMAKE_BINARY_DIR}/tapkit.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/tapkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(cmake/tapkit-uninstalled.pc.in ${CMAKE_BINARY_DIR}/tapkit-uninstalled.pc @ONLY)

# CMake package: relocatable (configure_package_config_file computes the prefix from its own
# location), so CMAKE_PREFIX_PATH may point into a DESTDIR tree.
set(TK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tapkit)
install(EXPORT tapkitTargets NAMESPACE tapkit:: DESTINATION ${TK_CMAKE_DIR})
install(EXPORT tapkitStaticTargets NAMESPACE tapkit:: DESTINATION ${TK_CMAKE_DIR})
configure_package_config_file(cmake/tapkitConfig.cmake.in
	${CMAKE_BINARY_DIR}/tapkitConfig.cmake INSTALL_DESTINATION ${TK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/tapkitConfigVersion.cmake
	VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/tapkitConfig.cmake ${CMAKE_BINARY_DIR}/tapkitConfigVersion.cmake
	DESTINATION ${TK_CMAKE_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/man.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/systemd.cmake)

# The Debian packages (debian/): built from a copy of the tree, lintian, extracted and smoke
# tested by scripts/check-deb.sh (about a minute). Once, in the normal build only: packaging does
# not change under the sanitizers.
if(TK_TESTS AND BUILD_TESTING AND NOT TK_SANITIZE)
	add_test(NAME deb/check_deb COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-deb.sh)
	set_tests_properties(deb/check_deb PROPERTIES LABELS deb TIMEOUT 600 SKIP_RETURN_CODE 77
		RUN_SERIAL TRUE)
endif()
