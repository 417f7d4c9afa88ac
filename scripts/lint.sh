#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every static check CI runs (STYLE-detail.md §2.8-2.9), each finding printed, exit 1 if any:
#   1. clang-format --dry-run -Werror on every .c/.h in git (tracked, or new and not ignored)
#   2. clang-tidy (.clang-tidy) on src/ (Linux part), cli/ and examples/ with the build's
#      compile_commands.json
#   3. cppcheck; src/windows with the Windows library and platform
#   4. banned functions: strcpy strcat sprintf vsprintf gets strtok atoi atol rand, and strerror(
#      in src/ (not thread-safe: use the tk_ helpers built on strerror_r)
#   5. shellcheck on the shell scripts (tests/netns, scripts, setup.sh, .ci/run)
# Usage: scripts/lint.sh [BUILD_DIR]   (default: build; `make lint` builds it first)
set -uo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-${TK_BUILD_DIR:-build}}
failed=()

step()
{
	printf '\n\e[1m== lint: %s\e[0m\n' "$*"
}

mapfile -t SOURCES < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort -u)
if [[ ${#SOURCES[@]} -eq 0 ]]; then
	echo "lint: no sources found (not a git checkout?)" >&2
	exit 1
fi

step "clang-format (${#SOURCES[@]} files)"
if ! clang-format --dry-run -Werror "${SOURCES[@]}"; then
	failed+=(clang-format)
	echo "fix: clang-format -i FILE (or make format)"
fi

step "clang-tidy"
if [[ ! -f $BUILD/compile_commands.json ]]; then
	echo "lint: $BUILD/compile_commands.json missing; build first (make)" >&2
	failed+=(clang-tidy)
else
	# Only files the Linux build compiles are in compile_commands.json; src/windows is checked by
	# the mingw build's own run.
	mapfile -t TIDY < <(printf '%s\n' "${SOURCES[@]}" | grep -E '^(src|cli|examples)/.*\.c$' |
		grep -v '^src/windows/' |
		while read -r f; do
			grep -q "\"file\": \"[^\"]*/$f\"" "$BUILD/compile_commands.json" && echo "$f"
		done)
	tidy_fail=0
	for f in "${TIDY[@]}"; do
		tidy_rc=0
		out=$(clang-tidy -p "$BUILD" --quiet "$f" 2>&1) || tidy_rc=$?
		if grep -q '^Stack dump:' <<<"$out"; then
			# A clang-tidy 14 crash: its findings so far, then one line instead of the dump.
			sed -n '/^PLEASE submit a bug report/q;p' <<<"$out"
			echo "clang-tidy crashed on $f (exit $tidy_rc): the file could not be checked"
			tidy_fail=1
		elif [[ $tidy_rc -ne 0 ]] || grep -qE '(warning|error):' <<<"$out"; then
			grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.?$' <<<"$out"
			tidy_fail=1
		fi
	done
	echo "clang-tidy: ${#TIDY[@]} files"
	[[ $tidy_fail -eq 0 ]] || failed+=(clang-tidy)
fi

step "cppcheck"
# shellcheck disable=SC2054 # the commas belong to --enable's value
CPPCHECK=(cppcheck --std=c11 --enable=warning,style,performance,portability --inline-suppr
	--error-exitcode=1 --quiet -D__GNUC__ -D_GNU_SOURCE -Iinclude -Isrc -Isrc/core -Icli)
mapfile -t CPP_UNIX < <(printf '%s\n' "${SOURCES[@]}" | grep -E '\.c$' | grep -v '^src/windows/' |
	grep -vE '^tests/')
mapfile -t CPP_WIN < <(printf '%s\n' "${SOURCES[@]}" | grep -E '^src/windows/.*\.c$')
if [[ ${#CPP_UNIX[@]} -gt 0 ]] && ! "${CPPCHECK[@]}" "${CPP_UNIX[@]}"; then
	failed+=(cppcheck)
fi
if [[ ${#CPP_WIN[@]} -gt 0 ]] &&
	! "${CPPCHECK[@]}" --library=windows --platform=win64 -D_WIN32 "${CPP_WIN[@]}"; then
	failed+=(cppcheck-windows)
fi

step "banned functions"
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|rand)[[:space:]]*\('
# Whole-word match, so snprintf, strtok_r and rand_r are fine; comments are not exempt on purpose
# (a commented-out call is still a call someone may restore).
hits=$(grep -nHE "$banned" "${SOURCES[@]}" || true)
mapfile -t SRC_ONLY < <(printf '%s\n' "${SOURCES[@]}" | grep '^src/')
hits+=$(printf '\n%s' "$(grep -nHE '\bstrerror[[:space:]]*\(' "${SRC_ONLY[@]}" /dev/null || true)")
hits=$(sed '/^$/d' <<<"$hits")
if [[ -n $hits ]]; then
	printf '%s\n' "$hits"
	echo "fix: snprintf instead of sprintf/strcpy/strcat, strtol/strtoul with end checks instead of atoi/atol, strtok_r, getrandom, strerror_r"
	failed+=(banned-functions)
fi

step "shellcheck"
mapfile -t SHELLS < <(git ls-files --cached --others --exclude-standard -- '*.sh' .ci/run | sort -u)
if [[ ${#SHELLS[@]} -gt 0 ]] && ! shellcheck -x -P tests/netns "${SHELLS[@]}"; then
	failed+=(shellcheck)
fi

if [[ ${#failed[@]} -gt 0 ]]; then
	printf '\n\e[1;31mlint: FAILED: %s\e[0m\n' "${failed[*]}"
	exit 1
fi
printf '\n\e[1;32mlint: all checks passed\e[0m\n'
