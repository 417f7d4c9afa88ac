# SPDX-License-Identifier: MIT
# Man pages: docs/man/*.scd rendered by scdoc(1) into <build>/man/ as part of `make` (target
# `man`), installed to share/man/manN, checked by scripts/check-man.sh (ctest man/check_man).
# Without scdoc the pages are not built (a message says so) and the check is skipped.
find_program(TK_SCDOC scdoc)
file(GLOB TK_MAN_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.scd)
if(TK_SCDOC)
	set(TK_MAN_PAGES "")
	foreach(src ${TK_MAN_SRC})
		get_filename_component(page ${src} NAME) # tapkit.8.scd
		string(REGEX REPLACE "\\.scd$" "" page ${page}) # tapkit.8
		string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
		set(out ${CMAKE_BINARY_DIR}/man/${page})
		add_custom_command(OUTPUT ${out}
			COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
			COMMAND ${TK_SCDOC} < ${src} > ${out}
			DEPENDS ${src} VERBATIM)
		list(APPEND TK_MAN_PAGES ${out})
		install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
	endforeach()
	add_custom_target(man ALL DEPENDS ${TK_MAN_PAGES})
else()
	message(STATUS "scdoc not found: man pages not built (apt-get install scdoc)")
endif()
if(TK_TESTS AND BUILD_TESTING)
	add_test(NAME man/check_man COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-man.sh
		${CMAKE_BINARY_DIR})
	set_tests_properties(man/check_man PROPERTIES LABELS man TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
