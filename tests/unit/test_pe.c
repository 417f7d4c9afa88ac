/* SPDX-License-Identifier: MIT */
/*
 * The PE reader (src/core/pe.c) and `doctor --program` (src/core/program.c) on Linux: images
 * built here byte by byte (PE32+ and PE32, imports, new- and old-style delay imports, a manifest
 * in the resources), every truncation of them and hostile offsets refused without reading past
 * the buffer (AddressSanitizer in the asan build), the manifest scanner, who provides a DLL and
 * its fix, and the recursive DLL search with a loader over a temporary directory.
 * TK_PE_SEED_DIR=DIR writes the built images there (the fuzzer's seeds, tests/fuzz/make-seeds.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "core/pe.h"

#define IMG_SIZE 0x1200u
#define SEC_RVA	 0x1000u
#define SEC_OFF	 0x200u

struct spec {
	bool pe32;
	uint16_t machine;
	const char *imports[4];
	const char *delay[2];
	bool old_delay; /* attributes 0: names are VAs */
	const char *manifest;
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint8_t *at_rva(uint8_t *img, uint32_t rva)
{
	return img + SEC_OFF + (rva - SEC_RVA);
}

/* Builds an image of IMG_SIZE bytes into img. */
static void build(const struct spec *s, uint8_t *img)
{
	memset(img, 0, IMG_SIZE);
	img[0] = 'M';
	img[1] = 'Z';
	put32(img + 0x3c, 0x40);
	memcpy(img + 0x40, "PE\0\0", 4);
	uint8_t *coff = img + 0x44;
	put16(coff, s->machine ? s->machine : (s->pe32 ? 0x14c : 0x8664));
	put16(coff + 2, 1);
	uint32_t opt_size = s->pe32 ? 224 : 240;
	put16(coff + 16, opt_size);
	put16(coff + 18, 0x0022);
	uint8_t *o = img + 0x58;
	put16(o, s->pe32 ? 0x10b : 0x20b);
	uint64_t base = 0x400000;
	if (s->pe32)
		put32(o + 28, (uint32_t)base);
	else
		put32(o + 24, (uint32_t)base);
	put32(o + 60, SEC_OFF);
	put16(o + 68, 3);
	size_t dirs = s->pe32 ? 96 : 112;
	put32(o + dirs - 4, 16);
	uint8_t *sec = o + opt_size;
	memcpy(sec, ".rdata", 6);
	put32(sec + 8, 0x1000);
	put32(sec + 12, SEC_RVA);
	put32(sec + 16, 0x1000);
	put32(sec + 20, SEC_OFF);

	uint32_t names = 0x1200;
	size_t n = 0;
	for (; n < 4 && s->imports[n]; n++) {
		put32(at_rva(img, 0x1000 + (uint32_t)n * 20) + 12, names);
		memcpy(at_rva(img, names), s->imports[n], strlen(s->imports[n]) + 1);
		names += (uint32_t)strlen(s->imports[n]) + 1;
	}
	if (n) {
		put32(o + dirs + 8, 0x1000);
		put32(o + dirs + 12, (uint32_t)(n + 1) * 20);
	}
	size_t k = 0;
	for (; k < 2 && s->delay[k]; k++) {
		uint8_t *dd = at_rva(img, 0x1100 + (uint32_t)k * 32);
		put32(dd, s->old_delay ? 0 : 1);
		put32(dd + 4, s->old_delay ? (uint32_t)base + names : names);
		memcpy(at_rva(img, names), s->delay[k], strlen(s->delay[k]) + 1);
		names += (uint32_t)strlen(s->delay[k]) + 1;
	}
	if (k) {
		put32(o + dirs + 13 * 8, 0x1100);
		put32(o + dirs + 13 * 8 + 4, (uint32_t)(k + 1) * 32);
	}
	if (s->manifest) {
		uint8_t *r = at_rva(img, 0x1400);
		/* root: one id entry, type 24 -> subdirectory at 0x18 */
		put16(r + 14, 1);
		put32(r + 16, 24);
		put32(r + 20, 0x80000000u | 0x18);
		put16(r + 0x18 + 14, 1);
		put32(r + 0x18 + 16, 1);
		put32(r + 0x18 + 20, 0x80000000u | 0x30);
		put16(r + 0x30 + 14, 1);
		put32(r + 0x30 + 16, 1033);
		put32(r + 0x30 + 20, 0x48);
		put32(r + 0x48, 0x1500);
		put32(r + 0x48 + 4, (uint32_t)strlen(s->manifest));
		memcpy(at_rva(img, 0x1500), s->manifest, strlen(s->manifest) + 1);
		put32(o + dirs + 2 * 8, 0x1400);
		put32(o + dirs + 2 * 8 + 4, 0x60);
	}
}

static const char admin_manifest[] =
	"<?xml version=\"1.0\"?><assembly><trustInfo><security><requestedPrivileges>"
	"<requestedExecutionLevel level=\"requireAdministrator\" uiAccess=\"false\"/>"
	"</requestedPrivileges></security></trustInfo></assembly>";

static const struct spec full = {
	.imports = { "KERNEL32.dll", "vcruntime140.dll", "wintun.dll" },
	.delay = { "newdev.dll" },
	.manifest = admin_manifest,
};

/* Writes n bytes of img to DIR/NAME. */
static void write_file(const char *dir, const char *name, const uint8_t *img, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, n, f), n);
	fclose(f);
}

static void seed(const char *name, const uint8_t *img, size_t n)
{
	const char *dir = getenv("TK_PE_SEED_DIR");
	if (dir)
		write_file(dir, name, img, n);
}

/* Builds s, keeps it as the fuzzer's seed `name` and parses it: the parse must succeed. */
static void parse_built(const struct spec *s, const char *name, struct tk_pe_info *pe)
{
	uint8_t img[IMG_SIZE];
	char why[128];
	build(s, img);
	seed(name, img, sizeof(img));
	if (!tk__pe_parse(img, sizeof(img), pe, why, sizeof(why)))
		fail_msg("image %s refused: %s", name, why);
}

static void test_parses_a_full_pe32plus(void **state)
{
	(void)state;
	struct tk_pe_info pe;
	parse_built(&full, "pe64-imports-delay-manifest", &pe);
	assert_int_equal(pe.machine, TK_PE_MACHINE_AMD64);
	assert_int_equal(pe.bits, 64);
	assert_int_equal(pe.subsystem, 3);
	assert_false(pe.dll);
	assert_int_equal(pe.nimports, 4);
	assert_string_equal(pe.imports[0].name, "KERNEL32.dll");
	assert_string_equal(pe.imports[2].name, "wintun.dll");
	assert_false(pe.imports[2].delay);
	assert_string_equal(pe.imports[3].name, "newdev.dll");
	assert_true(pe.imports[3].delay);
	assert_true(pe.has_manifest);
	assert_int_equal(pe.level, TK_PE_LEVEL_REQUIRE_ADMIN);
	assert_false(pe.ui_access);
}

static void test_parses_pe32_and_old_delay_imports(void **state)
{
	(void)state;
	struct spec s = { .pe32 = true,
			  .imports = { "msvcp140.dll" },
			  .delay = { "tkdelay.dll", "other.dll" },
			  .old_delay = true };
	struct tk_pe_info pe;
	parse_built(&s, "pe32-old-delay", &pe);
	assert_int_equal(pe.machine, TK_PE_MACHINE_I386);
	assert_int_equal(pe.bits, 32);
	assert_int_equal(pe.nimports, 3);
	assert_true(pe.imports[1].delay);
	assert_string_equal(pe.imports[2].name, "other.dll");
	assert_false(pe.has_manifest);
	assert_int_equal(pe.level, TK_PE_LEVEL_NONE);
}

/* Every prefix of a valid image is parsed or refused with a reason, never read past. */
static void test_every_truncation_is_safe(void **state)
{
	(void)state;
	uint8_t img[IMG_SIZE];
	build(&full, img);
	for (size_t n = 0; n < sizeof(img); n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		assert_non_null(copy);
		memcpy(copy, img, n);
		struct tk_pe_info pe;
		char why[128];
		if (!tk__pe_parse(copy, n, &pe, why, sizeof(why)))
			assert_true(why[0] != '\0');
		free(copy);
	}
}

static void expect_refused(uint8_t *img, size_t n, const char *reason)
{
	struct tk_pe_info pe;
	char why[128];
	assert_false(tk__pe_parse(img, n, &pe, why, sizeof(why)));
	assert_non_null(strstr(why, reason));
}

static void test_hostile_offsets_are_refused(void **state)
{
	(void)state;
	uint8_t img[IMG_SIZE];
	build(&full, img);
	put32(img + 0x3c, 0xfffffff0u);
	expect_refused(img, sizeof(img), "without a PE header");
	build(&full, img);
	put16(img + 0x44 + 2, 1000); /* sections */
	expect_refused(img, sizeof(img), "more than 96 sections");
	build(&full, img);
	put32(at_rva(img, 0x1000) + 12, 0x7ffffff0u); /* an import's name */
	expect_refused(img, sizeof(img), "import's DLL name");
	build(&full, img);
	put32(img + 0x58 + 240 + 20, 0xfffff000u); /* the section's raw data offset */
	expect_refused(img, sizeof(img), "import directory outside the file");
	build(&full, img);
	memset(at_rva(img, 0x1200), 'A', 0x100); /* a name without its NUL within 64 bytes */
	expect_refused(img, sizeof(img), "not a name");
	build(&full, img);
	put16(img + 0x58, 0x107);
	expect_refused(img, sizeof(img), "magic");
	expect_refused(img, 10, "no MZ");
	expect_refused(NULL, 0, "no MZ");
	/* A resource tree pointing outside itself: no manifest, not a crash. */
	build(&full, img);
	put32(at_rva(img, 0x1400) + 20, 0x80000000u | 0x7fffff00u);
	struct tk_pe_info pe;
	char why[128];
	assert_true(tk__pe_parse(img, sizeof(img), &pe, why, sizeof(why)));
	assert_false(pe.has_manifest);
	seed("resource-loop", img, sizeof(img));
}

static void test_manifest_levels(void **state)
{
	(void)state;
	bool ui = true;
	const char *a = "<requestedExecutionLevel level='highestAvailable' uiAccess='true'/>";
	assert_int_equal(tk__pe_manifest_level((const uint8_t *)a, strlen(a), &ui),
			 TK_PE_LEVEL_HIGHEST_AVAILABLE);
	assert_true(ui);
	const char *b = "<requestedExecutionLevel\n   level = \"asInvoker\" />";
	assert_int_equal(tk__pe_manifest_level((const uint8_t *)b, strlen(b), &ui),
			 TK_PE_LEVEL_AS_INVOKER);
	assert_false(ui);
	const char *c = "<assembly><requestedExecutionLevel/></assembly>";
	assert_int_equal(tk__pe_manifest_level((const uint8_t *)c, strlen(c), &ui),
			 TK_PE_LEVEL_NONE);
	const char *d = "<requestedExecutionLevel xlevel=\"requireAdministrator\"/>";
	assert_int_equal(tk__pe_manifest_level((const uint8_t *)d, strlen(d), &ui),
			 TK_PE_LEVEL_NONE);
	/* UTF-16 LE with its byte order mark */
	const char *e = "<requestedExecutionLevel level=\"requireAdministrator\"/>";
	uint8_t w[256] = { 0xff, 0xfe };
	size_t n = 2;
	for (const char *p = e; *p; p++) {
		w[n++] = (uint8_t)*p;
		w[n++] = 0;
	}
	assert_int_equal(tk__pe_manifest_level(w, n, &ui), TK_PE_LEVEL_REQUIRE_ADMIN);
	assert_int_equal(tk__pe_manifest_level(w, 3, &ui), TK_PE_LEVEL_NONE);
	assert_string_equal(tk__pe_level_name(TK_PE_LEVEL_NONE), "asInvoker");
}

static void test_providers_and_fixes(void **state)
{
	(void)state;
	static const struct {
		const char *dll;
		int provider;
	} cases[] = {
		{ "KERNEL32.dll", TK_DLL_SYSTEM },
		{ "IPHLPAPI.DLL", TK_DLL_SYSTEM },
		{ "api-ms-win-core-synch-l1-2-0.dll", TK_DLL_API_SET },
		{ "api-ms-win-crt-runtime-l1-1-0.dll", TK_DLL_UCRT },
		{ "ucrtbase.dll", TK_DLL_UCRT },
		{ "VCRUNTIME140_1.dll", TK_DLL_VCREDIST },
		{ "msvcp140.dll", TK_DLL_VCREDIST },
		{ "wintun.dll", TK_DLL_BESIDE_PROGRAM },
		{ "libtapkit.dll", TK_DLL_BESIDE_PROGRAM },
		{ "libwinpthread-1.dll", TK_DLL_MINGW_RUNTIME },
		{ "kernel32.dll.evil", TK_DLL_OTHER },
		{ "api-ms", TK_DLL_OTHER },
		{ "", TK_DLL_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((int)tk__pe_dll_provider(cases[i].dll) != cases[i].provider)
			fail_msg("%s: provider %d, expected %d", cases[i].dll,
				 (int)tk__pe_dll_provider(cases[i].dll), cases[i].provider);
	char fix[320];
	tk__pe_dll_fix("msvcp140.dll", 32, fix, sizeof(fix));
	assert_non_null(strstr(fix, "Visual C++ Redistributable"));
	assert_non_null(strstr(fix, "vc_redist.x86.exe"));
	tk__pe_dll_fix("api-ms-win-crt-stdio-l1-1-0.dll", 64, fix, sizeof(fix));
	assert_non_null(strstr(fix, "Universal C Runtime"));
	tk__pe_dll_fix("wintun.dll", 64, fix, sizeof(fix));
	assert_non_null(strstr(fix, "program's folder"));
}

/* ---- the DLL search, with a loader over a temporary directory ---- */

static char g_dir[64];

static void write_image(const char *name, const struct spec *s)
{
	uint8_t img[IMG_SIZE];
	build(s, img);
	write_file(g_dir, name, img, sizeof(img));
}

/* System DLLs are "found in the system directory"; others in appdir when the file exists. */
static bool fake_find(void *user, const char *dll, unsigned bits, const char *appdir, char *path,
		      size_t size, const char **where, bool *system)
{
	(void)user;
	(void)bits;
	*system = tk__pe_dll_provider(dll) == TK_DLL_SYSTEM;
	if (*system) {
		snprintf(path, size, "C:\\Windows\\System32\\%s", dll);
		*where = "system directory";
		return true;
	}
	snprintf(path, size, "%s/%s", appdir, dll);
	*where = "application directory";
	return access(path, R_OK) == 0;
}

/* doctor --program on g_dir/exe with the loader ld (NULL: fake_find's, a 64-bit Windows). */
static tk_report *run_program(const char *exe, const struct tk__loader *ld)
{
	static const struct tk__loader windows = {
		.available = true, .os_bits = 64, .os_machine = 0x8664, .find = fake_find
	};
	tk_ctx *ctx = NULL;
	assert_int_equal(tk_ctx_new(&ctx, NULL), TK_OK);
	struct tk__doctor *d = tk__doctor_new(ctx);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", g_dir, exe);
	tk__doctor_program_with(path, d, ld ? ld : &windows);
	tk_report *r = NULL;
	assert_int_equal(tk__doctor_finish(d, &r, NULL), TK_OK);
	tk_ctx_free(ctx);
	return r;
}

static const tk_check *lookup(const tk_report *r, const char *id, const char *object)
{
	for (size_t i = 0; i < r->nchecks; i++)
		if (strcmp(r->checks[i].id, id) == 0 &&
		    (!object || strcmp(r->checks[i].object, object) == 0))
			return &r->checks[i];
	return NULL;
}

/* The check, or the test fails. */
static const tk_check *find_check(const tk_report *r, const char *id, const char *object)
{
	static tk_check none = { .id = "(none)", .status = (tk_check_status)-1 };
	const tk_check *c = lookup(r, id, object);
	if (!c)
		print_error("no check %s (%s)\n", id, object ? object : "any");
	return c ? c : &none; /* whose status matches no expectation */
}

static void test_search_walks_dlls_beside_the_program(void **state)
{
	(void)state;
	struct spec app = { .imports = { "KERNEL32.dll", "helper.dll" }, .delay = { "lazy.dll" } };
	struct spec helper = { .imports = { "deep.dll", "ADVAPI32.dll" } };
	struct spec x86 = { .pe32 = true, .imports = { "KERNEL32.dll" } };
	write_image("app.exe", &app);
	write_image("helper.dll", &helper);
	write_image("lazy.dll", &x86); /* a 32-bit DLL beside a 64-bit program */
	tk_report *r = run_program("app.exe", NULL);
	const tk_check *c = find_check(r, "program.dlls", NULL);
	assert_non_null(c);
	assert_int_equal(c->status, TK_CHECK_FAIL);
	assert_int_equal(c->cause, TK_E_MISSING_DEPENDENCY);
	c = find_check(r, "program.dll", "deep.dll");
	assert_non_null(c);
	assert_int_equal(c->status, TK_CHECK_FAIL);
	assert_string_equal(c->evidence[0].value, "helper.dll");
	c = find_check(r, "program.dll", "lazy.dll");
	assert_non_null(c);
	assert_int_equal(c->status, TK_CHECK_FAIL);
	assert_non_null(strstr(c->summary, "an x86 DLL for an x64 program"));
	assert_null(lookup(r, "program.dll", "helper.dll"));
	assert_null(lookup(r, "program.dll", "KERNEL32.dll"));
	tk_report_free(r);

	/* With deep.dll present and lazy.dll gone: only the delayed one is missing, a warning. */
	write_image("deep.dll", &helper); /* imports itself and ADVAPI32: the walk ends */
	char path[256];
	snprintf(path, sizeof(path), "%s/lazy.dll", g_dir);
	assert_int_equal(unlink(path), 0);
	r = run_program("app.exe", NULL);
	c = find_check(r, "program.dlls", NULL);
	assert_int_equal(c->status, TK_CHECK_WARN);
	c = find_check(r, "program.dll", "lazy.dll");
	assert_int_equal(c->status, TK_CHECK_WARN);
	assert_int_equal(r->nfail, 0);
	tk_report_free(r);
}

static void test_search_needs_windows(void **state)
{
	(void)state;
	struct spec app = { .imports = { "KERNEL32.dll", "missing.dll" } };
	write_image("plain.exe", &app);
	struct tk__loader ld = { .available = false };
	tk_report *r = run_program("plain.exe", &ld);
	const tk_check *c = find_check(r, "program.dlls", NULL);
	assert_int_equal(c->status, TK_CHECK_SKIPPED);
	assert_string_equal(c->skipped_because, "not-windows");
	assert_non_null(strstr(c->evidence[0].value, "missing.dll (the program's)"));
	tk_report_free(r);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/tk-pe.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	const char *names[] = { "app.exe", "helper.dll", "lazy.dll", "deep.dll", "plain.exe" };
	char path[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", g_dir, names[i]);
		unlink(path);
	}
	return rmdir(g_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_a_full_pe32plus),
		cmocka_unit_test(test_parses_pe32_and_old_delay_imports),
		cmocka_unit_test(test_every_truncation_is_safe),
		cmocka_unit_test(test_hostile_offsets_are_refused),
		cmocka_unit_test(test_manifest_levels),
		cmocka_unit_test(test_providers_and_fixes),
		cmocka_unit_test(test_search_walks_dlls_beside_the_program),
		cmocka_unit_test(test_search_needs_windows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
