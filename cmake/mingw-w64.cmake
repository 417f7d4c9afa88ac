# SPDX-License-Identifier: MIT
# Cross-compiling tapkit for 64-bit Windows with Debian's mingw-w64 (package gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
# The warning flags are the same as on Linux (CMakeLists.txt adds them); the executables are
# linked statically so they need no DLL beyond Windows' own (scripts/check-win-imports.sh).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TK_MINGW_PREFIX x86_64-w64-mingw32)

# The posix thread model variant is what Debian installs as the default alternative; naming the
# -posix compiler explicitly keeps the build the same whichever alternative is selected.
find_program(CMAKE_C_COMPILER NAMES ${TK_MINGW_PREFIX}-gcc-posix ${TK_MINGW_PREFIX}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${TK_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${TK_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static libgcc and winpthreads: no libgcc_s_seh-1.dll or libwinpthread-1.dll next to the .exe.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
# Wine runs the tests; ctest launches them through it.
find_program(TK_WINE NAMES wine)
if(TK_WINE)
	set(CMAKE_CROSSCOMPILING_EMULATOR ${TK_WINE})
endif()
