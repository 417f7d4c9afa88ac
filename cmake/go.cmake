# SPDX-License-Identifier: MIT
# The Go binding (bindings/go): its tests build against the build tree's libtapkit.a through
# tapkit-uninstalled.pc (cmake/install.cmake). Normal build only: the sanitizer build's library
# would need the sanitizer runtime in every Go test binary.
if(TK_TESTS AND BUILD_TESTING AND NOT TK_SANITIZE)
	add_test(NAME go/bindings_go COMMAND bash ${CMAKE_SOURCE_DIR}/bindings/go/test.sh
		${CMAKE_BINARY_DIR})
	set_tests_properties(go/bindings_go PROPERTIES LABELS go TIMEOUT 600 SKIP_RETURN_CODE 77
		RUN_SERIAL TRUE)
endif()
