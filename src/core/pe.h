/* SPDX-License-Identifier: MIT */
/*
 * A portable reader of Windows PE images (EXE, DLL): the headers, the bitness, the import and
 * delay-import tables and the manifest's requestedExecutionLevel from the resources. It never
 * trusts the file: every offset and size is checked against the buffer before it is read, every
 * loop is bounded, and a malformed image is refused with the reason. Used by
 * `tapkit doctor --program` (src/core/program.c) on every OS; fuzzed by tests/fuzz/fuzz_pe.c.
 */
#ifndef TK_PE_H
#define TK_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TK_PE_MACHINE_I386  0x014cu
#define TK_PE_MACHINE_AMD64 0x8664u
#define TK_PE_MACHINE_ARM64 0xaa64u
#define TK_PE_MACHINE_ARMNT 0x01c4u

#define TK_PE_MAX_IMPORTS 128 /* DLL names kept per image (imports and delay imports together) */
#define TK_PE_NAME_MAX	  64  /* a DLL name longer than this is refused as malformed */

enum tk_pe_level {
	TK_PE_LEVEL_NONE = 0, /* no manifest, or it requests nothing: runs as invoker */
	TK_PE_LEVEL_AS_INVOKER,
	TK_PE_LEVEL_HIGHEST_AVAILABLE,
	TK_PE_LEVEL_REQUIRE_ADMIN,
};

struct tk_pe_import {
	char name[TK_PE_NAME_MAX]; /* as written in the image ("KERNEL32.dll") */
	bool delay;		   /* from the delay-import table */
};

struct tk_pe_info {
	uint16_t machine;
	unsigned bits; /* 32 or 64 (the optional header's magic) */
	uint16_t subsystem;
	uint16_t characteristics;
	bool dll;
	size_t nimports;
	bool imports_truncated; /* more than TK_PE_MAX_IMPORTS */
	struct tk_pe_import imports[TK_PE_MAX_IMPORTS];
	bool has_manifest;
	enum tk_pe_level level;
	bool ui_access;
};

/*
 * Parses the image in data[0..size). Returns true with *out filled, or false with the reason
 * ("no MZ signature", "import directory outside the file", ...) in why.
 */
bool tk__pe_parse(const uint8_t *data, size_t size, struct tk_pe_info *out, char *why,
		  size_t why_size);

/* DLL names compare as Windows does: ASCII letters without case. */
bool tk__pe_name_equal(const char *a, const char *b);

/* "x64", "x86", "ARM64", "ARM", "unknown". */
const char *tk__pe_machine_name(uint16_t machine);
/* "asInvoker" (also for NONE), "highestAvailable", "requireAdministrator". */
const char *tk__pe_level_name(enum tk_pe_level level);

/*
 * Scans a manifest (UTF-8, or UTF-16 with a byte order mark) for requestedExecutionLevel's
 * level and uiAccess attributes. Pure and bounded; returns NONE when there is none.
 */
enum tk_pe_level tk__pe_manifest_level(const uint8_t *xml, size_t size, bool *ui_access);

/* Where a DLL comes from, for the fix of a missing one. */
enum tk_dll_provider {
	TK_DLL_OTHER = 0,      /* none we know: the program's vendor */
	TK_DLL_SYSTEM,	       /* part of Windows */
	TK_DLL_API_SET,	       /* api-ms-win-* / ext-ms-win-*: resolved by the loader's schema */
	TK_DLL_UCRT,	       /* ucrtbase.dll, api-ms-win-crt-*: the Universal C Runtime */
	TK_DLL_VCREDIST,       /* vcruntime140*, msvcp140*, concrt140, vccorlib140 */
	TK_DLL_BESIDE_PROGRAM, /* wintun.dll, tapkit's own DLL: shipped with the program */
	TK_DLL_MINGW_RUNTIME,  /* libgcc_s_*, libwinpthread-1, libstdc++-6: shipped with it */
};

enum tk_dll_provider tk__pe_dll_provider(const char *name);
/*
 * The fix for a missing DLL of this provider, for a program of `bits` bits (32: x86, 64: x64),
 * into buf: "install the Visual C++ Redistributable for x64 (vc_redist.x64.exe, ...)".
 */
void tk__pe_dll_fix(const char *name, unsigned bits, char *buf, size_t size);

#endif /* TK_PE_H */
