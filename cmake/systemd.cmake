# SPDX-License-Identifier: MIT
# systemd units (dist/systemd/): installed to TK_SYSTEMD_UNITDIR with ExecStart pointing at the
# installed CLI, checked by scripts/check-systemd.sh (ctest systemd/check_systemd).
set(TK_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
	"where the systemd units go: relative to the prefix, or absolute (Debian 12: /lib/systemd/system)")
foreach(unit tapkit-tunnel@.service tapkit-watch.service)
	file(READ ${CMAKE_SOURCE_DIR}/dist/systemd/${unit} text)
	string(REPLACE "/usr/bin/tapkit" "${CMAKE_INSTALL_FULL_BINDIR}/tapkit" text "${text}")
	file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/systemd/${unit} CONTENT "${text}")
	install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit} DESTINATION ${TK_SYSTEMD_UNITDIR})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
	${CMAKE_SOURCE_DIR}/dist/systemd/tapkit-tunnel@.service
	${CMAKE_SOURCE_DIR}/dist/systemd/tapkit-watch.service)
if(TK_TESTS AND BUILD_TESTING)
	add_test(NAME systemd/check_systemd COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-systemd.sh
		${CMAKE_BINARY_DIR})
	set_tests_properties(systemd/check_systemd PROPERTIES LABELS systemd TIMEOUT 60
		SKIP_RETURN_CODE 77)
endif()
