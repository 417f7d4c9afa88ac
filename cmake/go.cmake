# SPDX-License-Identifier: MIT
# The Go binding (bindings/go): its tests build against the build tree's libtapkit.a through
# tapkit-uninstalled.pc (cmake/install.cmake on Linux; below for the Windows build, whose Go
# test binary is cross-compiled and run under Wine by tests/windows/test_go.sh). Normal build
# only: the sanitizer build's library would need the sanitizer runtime in every Go test binary.
if(WIN32)
	configure_file(cmake/tapkit-uninstalled-win.pc.in ${CMAKE_BINARY_DIR}/tapkit-uninstalled.pc
		@ONLY)
elseif(TK_TESTS AND BUILD_TESTING AND NOT TK_SANITIZE)
	add_test(NAME go/bindings_go COMMAND bash ${CMAKE_SOURCE_DIR}/bindings/go/test.sh
		${CMAKE_BINARY_DIR})
	set_tests_properties(go/bindings_go PROPERTIES LABELS go TIMEOUT 600 SKIP_RETURN_CODE 77
		RUN_SERIAL TRUE)
endif()
