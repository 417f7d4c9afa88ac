# SPDX-License-Identifier: MIT
# The front door: `make` builds everything into build/. Three test tiers, each one command:
#   make test    the contributor's loop: the plain build and its ctest (unit, netns, man pages,
#                units, Go binding, install) but the two slow ones; a few minutes; the netns
#                tests skip, with the reason, without root
#   make check   every phase (scripts/check.sh): make test, test-slow (the Debian packages, the
#                benchmark's smoke test), lint, the ASan + UBSan run, the Windows build under
#                Wine, every fuzzer for CHECK_FUZZ_SECONDS and a soak of CHECK_SOAK_SECONDS,
#                then a table of the phases; `./setup.sh test` runs it
#   .ci/run      `./setup.sh test` with FUZZ_SECONDS=60 SOAK_SECONDS=600 (CI)
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure
# Extra cmake -D options for a new build directory (./setup.sh demo: -DTK_TESTS=OFF, no cmocka).
CMAKE_ARGS ?=

.PHONY: all configure test test-plain test-asan asan demo demo-forward lint format clean deps

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: re-configures $(BUILD) with the prefix
# (tapkit.pc names it), builds, and installs (cmake/install.cmake lists what goes where).
PREFIX     ?= /usr/local
.PHONY: install
install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

asan:
	@test -f $(BUILD_ASAN)/CMakeCache.txt || cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DTK_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test: test-plain

# The two slow tests of build/ (a minute each: the Debian packages built and linted, a partial
# benchmark) are make check's (test-slow), not the contributor's loop.
SLOW_TESTS := ^(deb/check_deb|netns/test_bench_smoke)$$
test-plain: all
	@if [ "$$(id -u)" != 0 ]; then echo "note: not root: the netns, soak and packaged-CLI tests skip (network namespaces and TAP devices need root): sudo make test"; fi
	cd $(BUILD) && ctest $(CTEST_ARGS) -E '$(SLOW_TESTS)'

.PHONY: test-slow
test-slow: all
	cd $(BUILD) && ctest $(CTEST_ARGS) -R '$(SLOW_TESTS)'

# make check: short fuzz and soak runs unless FUZZ_SECONDS / SOAK_SECONDS come from the command
# line or the environment (CI: .ci/run).
CHECK_FUZZ_SECONDS ?= 10
CHECK_SOAK_SECONDS ?= 60
.PHONY: check
check:
	FUZZ_SECONDS=$(if $(filter file,$(origin FUZZ_SECONDS)),$(CHECK_FUZZ_SECONDS),$(FUZZ_SECONDS)) \
	SOAK_SECONDS=$(if $(filter file,$(origin SOAK_SECONDS)),$(CHECK_SOAK_SECONDS),$(SOAK_SECONDS)) \
	JOBS=$(JOBS) MAKE="$(MAKE)" bash scripts/check.sh

test-asan: asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

# libFuzzer targets (tests/fuzz/README.md), built with clang into $(BUILD_FUZZ)/ and run for
# FUZZ_SECONDS each on a scratch copy of the seed corpus; fails if any fuzzer finds a crash.
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	@test -f $(BUILD_FUZZ)/CMakeCache.txt || cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang \
		-DTK_FUZZ=ON -DTK_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	bash tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(JOBS)

# The main demo: a sealed tunnel between two namespaces. demo-forward is the smaller one: two
# TAPs joined by the tk-forward example on the library alone.
demo: all
	TK_BUILD_DIR=$(BUILD) bash scripts/demo-tunnel.sh

demo-forward: all
	TK_BUILD_DIR=$(BUILD) bash scripts/demo.sh

# The soak (tests/soak/README.md): a hub and three peers under traffic for SOAK_SECONDS while
# peers leave and join and the hub's adapter is deleted twice; fails on a crash, RSS or fd growth,
# or frame counters that do not add up. Results in $(BUILD)/soak-results/. Needs root (exit 77,
# a skip, without it).
SOAK_SECONDS ?= 600
.PHONY: soak
soak: all
	@rc=0; TK_BUILD_DIR=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) bash tests/soak/soak.sh || rc=$$?; \
		[ $$rc -eq 77 ] && echo "SKIP soak (exit 77: see its reason above)"; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

# The benchmark (bench/README.md): the optimised build against veth, kernel vxlan, OpenVPN and
# tinc in two namespaces; needs root and the packages `sudo ./setup.sh bench` installs.
.PHONY: bench
bench: all
	TK_BUILD_DIR=$(BUILD) bash bench/run.sh

lint: all
	bash scripts/lint.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Windows: cross-compiled with mingw-w64 into $(BUILD_WIN)/ (tapkit.exe), checked to import only
# Windows system DLLs, tested under Wine. Without the cross compiler or Wine, test-windows says
# SKIP and which package is missing (CI installs them: gcc-mingw-w64-x86-64 wine wine64).
BUILD_WIN  ?= build-win
.PHONY: windows test-windows
# Sealed mode's libsodium and libcrypto for Windows: scripts/mingw-deps.sh cross-builds them once
# from Debian's source packages into $(TK_MINGW_DEPS) (a few minutes; then a no-op). MINGW_DEPS=0
# skips it: a plain-mode-only Windows build (seal_unavailable.c). A new build of them
# re-configures $(BUILD_WIN) (CMakeLists.txt looks for them at configure time).
MINGW_DEPS ?= 1
windows:
	@if [ "$(MINGW_DEPS)" = 1 ]; then bash scripts/mingw-deps.sh || { \
		echo "make windows: the Windows sealed mode's libraries failed to build (above); MINGW_DEPS=0 builds plain mode only" >&2; exit 1; }; \
		stamp=$$(bash scripts/mingw-deps.sh --print-prefix)/tapkit-mingw-deps.stamp; \
		if [ -f $(BUILD_WIN)/CMakeCache.txt ] && [ "$$stamp" -nt $(BUILD_WIN)/CMakeCache.txt ]; then \
			cmake -S . -B $(BUILD_WIN) -DTK_MINGW_DEPS=$$(dirname "$$stamp"); fi; fi
	@test -f $(BUILD_WIN)/CMakeCache.txt || cmake -S . -B $(BUILD_WIN) \
		-DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_WIN) -j $(JOBS)
	bash scripts/check-win-imports.sh $(BUILD_WIN)/tapkit.exe $(BUILD_WIN)/tests/*.exe

test-windows:
	@if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v wine >/dev/null; then \
		echo "SKIP test-windows: needs gcc-mingw-w64-x86-64, wine and wine64 (apt-get install -y gcc-mingw-w64-x86-64 wine wine64)"; \
	else \
		$(MAKE) all windows && TK_BUILD_DIR=$(BUILD) bash tests/windows/run.sh $(BUILD_WIN); \
	fi

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_WIN) $(BUILD_FUZZ)
