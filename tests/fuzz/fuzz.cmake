# SPDX-License-Identifier: MIT
# libFuzzer targets (tests/fuzz/README.md): one per parser, built with clang when TK_FUZZ is on.
# The whole build gets -fsanitize=fuzzer-no-link plus ASan and UBSan (coverage in the library
# too); each target links the fuzzer's main (the tunnel's parsers come from libtapkit.a). `make fuzz` configures build-fuzz/ and runs them.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
	message(FATAL_ERROR "TK_FUZZ needs clang: -DCMAKE_C_COMPILER=clang")
endif()

set(TK_FUZZ_TARGETS vxlan seal tunnel_config watch_config addr cli_json cli_jread mactable offload noise pe recorded)
foreach(t ${TK_FUZZ_TARGETS})
	add_executable(fuzz_${t} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${t}.c)
	set_target_properties(fuzz_${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
		${CMAKE_BINARY_DIR}/fuzz)
	target_include_directories(fuzz_${t} PRIVATE src cli tests/fuzz)
	target_link_libraries(fuzz_${t} PRIVATE tapkit_static)
	target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
	if(t STREQUAL "recorded")
		# the Windows backend's pure parsers (no Windows header)
		target_sources(fuzz_${t} PRIVATE ${CMAKE_SOURCE_DIR}/src/windows/recorded.c
			${CMAKE_SOURCE_DIR}/src/windows/winlogic.c)
	endif()
	if(t STREQUAL "cli_json")
		target_sources(fuzz_${t} PRIVATE cli/output.c cli/args.c)
	endif()
	if(t STREQUAL "cli_jread")
		target_sources(fuzz_${t} PRIVATE cli/json_read.c cli/tunnel_status.c cli/output.c
			cli/args.c)
	endif()
endforeach()
add_custom_target(fuzzers)
list(TRANSFORM TK_FUZZ_TARGETS PREPEND fuzz_ OUTPUT_VARIABLE TK_FUZZ_EXES)
add_dependencies(fuzzers ${TK_FUZZ_EXES})
