# SPDX-License-Identifier: MIT
# The front door: `make` builds everything into build/, `make test` builds and runs every test
# (once normally, once under AddressSanitizer + UndefinedBehaviorSanitizer).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure

.PHONY: all configure test test-plain test-asan asan demo lint format clean deps

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

asan:
	@test -f $(BUILD_ASAN)/CMakeCache.txt || cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DTK_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test: test-plain test-asan

test-plain: all
	cd $(BUILD) && ctest $(CTEST_ARGS)

test-asan: asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

demo: all
	bash scripts/demo.sh

lint: all
	bash scripts/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
