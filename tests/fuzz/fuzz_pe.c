/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pe: the PE reader of `doctor --program` (src/core/pe.c) on arbitrary bytes. Properties:
 * a refusal always has a reason; an accepted image is 32 or 64 bits, keeps at most
 * TK_PE_MAX_IMPORTS DLL names, each NUL-terminated, printable and without a path separator;
 * the manifest scanner and the provider table take any input. ASan/UBSan catch every read past
 * the input (it is handed over in a buffer of exactly its size).
 */
#include "fuzz.h"

#include "core/pe.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tk_pe_info pe;
	char why[160];
	if (!tk__pe_parse(data, size, &pe, why, sizeof(why))) {
		FUZZ_CHECK(why[0] != '\0');
	} else {
		FUZZ_CHECK(pe.bits == 32 || pe.bits == 64);
		FUZZ_CHECK(pe.nimports <= TK_PE_MAX_IMPORTS);
		for (size_t i = 0; i < pe.nimports; i++) {
			size_t n = strnlen(pe.imports[i].name, TK_PE_NAME_MAX);
			FUZZ_CHECK(n > 0 && n < TK_PE_NAME_MAX);
			for (size_t k = 0; k < n; k++) {
				char c = pe.imports[i].name[k];
				FUZZ_CHECK(c >= 0x20 && c <= 0x7e && c != '\\' && c != '/');
			}
			char fix[320];
			tk__pe_dll_fix(pe.imports[i].name, pe.bits, fix, sizeof(fix));
			FUZZ_CHECK(fix[0] != '\0');
		}
		FUZZ_CHECK(pe.has_manifest || pe.level == TK_PE_LEVEL_NONE);
	}
	bool ui = false;
	enum tk_pe_level level = tk__pe_manifest_level(data, size, &ui);
	FUZZ_CHECK(level <= TK_PE_LEVEL_REQUIRE_ADMIN);
	return 0;
}
