/* SPDX-License-Identifier: MIT */
/*
 * PE reader (pe.h). The layout is the PE/COFF specification's: the DOS header's e_lfanew points
 * at "PE\0\0", the COFF header, the optional header (PE32 or PE32+) with its data directories,
 * and the section table through which every RVA is turned into a file offset. Nothing read from
 * the file is used as an offset or a count before it is checked against the buffer; counts are
 * capped so that a hostile image cannot make the reader loop for long.
 */
#include "pe.h"

#include "core_internal.h"

#include <string.h>

#define DIR_IMPORT   1u
#define DIR_RESOURCE 2u
#define DIR_DELAY    13u
#define RT_MANIFEST  24u

#define MAX_SECTIONS	   96u	 /* the loader's own limit */
#define MAX_DESCRIPTORS	   1024u /* import descriptors read per table */
#define MAX_RES_ENTRIES	   256u	 /* entries read per resource directory */
#define MAX_MANIFEST_BYTES (256u * 1024u)

struct section {
	uint32_t va, vsize, raw_off, raw_size;
};

struct image {
	const uint8_t *data;
	size_t size;
	uint64_t image_base;
	uint32_t size_of_headers;
	unsigned nsec;
	struct section sec[MAX_SECTIONS];
	char *why;
	size_t why_size;
};

static unsigned char ascii_lower(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 'A' && u <= 'Z' ? (unsigned char)(u | 0x20u) : u;
}

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = ascii_lower(*a), y = ascii_lower(*b);
		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
}

bool tk__pe_name_equal(const char *a, const char *b)
{
	return ascii_casecmp(a, b) == 0;
}

static bool refuse(struct image *im, const char *reason)
{
	tk__strlcpy(im->why, reason, im->why_size);
	return false;
}

static bool in_file(const struct image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/*
 * The file offset of `len` bytes at rva, all inside one section's raw data (or the headers).
 * Returns false when they are not all in the file.
 */
static bool rva_to_off(const struct image *im, uint32_t rva, uint32_t len, size_t *off)
{
	if (rva < im->size_of_headers && (uint64_t)rva + len <= im->size_of_headers &&
	    in_file(im, rva, len)) {
		*off = rva;
		return true;
	}
	for (unsigned i = 0; i < im->nsec; i++) {
		const struct section *s = &im->sec[i];
		uint32_t span = s->vsize > s->raw_size ? s->vsize : s->raw_size;
		if (rva < s->va || (uint64_t)rva - s->va >= span)
			continue;
		uint64_t delta = (uint64_t)rva - s->va;
		/* Bytes past the raw data are zero-filled by the loader: not in the file. */
		if (delta + len > s->raw_size)
			return false;
		uint64_t o = (uint64_t)s->raw_off + delta;
		if (!in_file(im, o, len))
			return false;
		*off = (size_t)o;
		return true;
	}
	return false;
}

/*
 * A NUL-terminated DLL name at rva: printable ASCII, 1..TK_PE_NAME_MAX-1 bytes, inside the file.
 */
static bool read_name(const struct image *im, uint32_t rva, char *out)
{
	size_t off;
	if (!rva_to_off(im, rva, 1, &off))
		return false;
	size_t n = 0;
	while (n < TK_PE_NAME_MAX && off + n < im->size && im->data[off + n]) {
		uint8_t ch = im->data[off + n];
		if (ch < 0x20 || ch > 0x7e || ch == '\\' || ch == '/' || ch == ':')
			return false;
		out[n] = (char)ch;
		n++;
	}
	if (n == 0 || n >= TK_PE_NAME_MAX || off + n >= im->size)
		return false;
	out[n] = '\0';
	return true;
}

static void add_import(struct tk_pe_info *out, const char *name, bool delay)
{
	for (size_t i = 0; i < out->nimports; i++)
		if (ascii_casecmp(out->imports[i].name, name) == 0) {
			/* A normal import wins over a delayed one of the same DLL. */
			out->imports[i].delay = out->imports[i].delay && delay;
			return;
		}
	if (out->nimports >= TK_PE_MAX_IMPORTS) {
		out->imports_truncated = true;
		return;
	}
	tk__strlcpy(out->imports[out->nimports].name, name, TK_PE_NAME_MAX);
	out->imports[out->nimports].delay = delay;
	out->nimports++;
}

static bool read_imports(struct image *im, uint32_t rva, uint32_t size, struct tk_pe_info *out)
{
	if (!rva)
		return true;
	(void)size; /* the table ends at its all-zero descriptor, whatever Size says */
	for (uint32_t i = 0; i < MAX_DESCRIPTORS; i++) {
		size_t off;
		if (!rva_to_off(im, rva + i * 20u, 20, &off))
			return refuse(im, "import directory outside the file");
		const uint8_t *d = im->data + off;
		uint32_t name = rd32(d + 12);
		if (name == 0)
			return true; /* the terminator (the loader stops at Name == 0 too) */
		char dll[TK_PE_NAME_MAX];
		if (!read_name(im, name, dll))
			return refuse(im, "an import's DLL name is outside the file or not a name");
		add_import(out, dll, false);
	}
	return refuse(im, "import directory without an end (over 1024 descriptors)");
}

static bool read_delay_imports(struct image *im, uint32_t rva, uint32_t size,
			       struct tk_pe_info *out)
{
	if (!rva)
		return true;
	/* The table ends at a descriptor without a name, or where its Size says: binutils'
	 * descriptors carry no terminator. */
	uint32_t count = size >= 32 && size / 32 < MAX_DESCRIPTORS ? size / 32 : MAX_DESCRIPTORS;
	for (uint32_t i = 0; i < count; i++) {
		size_t off;
		if (!rva_to_off(im, rva + i * 32u, 32, &off))
			return refuse(im, "delay-import directory outside the file");
		const uint8_t *d = im->data + off;
		uint32_t attrs = rd32(d), name = rd32(d + 4);
		if (name == 0)
			return true;
		/* Attribute bit 0 clear: the old (Visual C++ 6) form, whose pointers are VAs. */
		if (!(attrs & 1u)) {
			uint64_t va = name;
			if (va < im->image_base || va - im->image_base > UINT32_MAX)
				return refuse(im, "a delay import's DLL name is outside the image");
			name = (uint32_t)(va - im->image_base);
		}
		char dll[TK_PE_NAME_MAX];
		if (!read_name(im, name, dll))
			return refuse(
				im, "a delay import's DLL name is outside the file or not a name");
		add_import(out, dll, true);
	}
	if (count < MAX_DESCRIPTORS)
		return true;
	return refuse(im, "delay-import directory without an end (over 1024 descriptors)");
}

/*
 * The resource tree: type RT_MANIFEST, then the first name, then the first language. Offsets
 * inside the tree are relative to its start; each one is checked to stay inside the
 * directory's data. A missing manifest is not an error.
 */
static bool res_find(const struct image *im, size_t base, size_t limit, size_t dir, uint32_t id,
		     bool any, uint32_t *entry_value)
{
	if (dir > limit || limit - dir < 16)
		return false;
	const uint8_t *d = im->data + base + dir;
	uint32_t n = (uint32_t)rd16(d + 12) + rd16(d + 14);
	if (n > MAX_RES_ENTRIES)
		n = MAX_RES_ENTRIES;
	for (uint32_t i = 0; i < n; i++) {
		size_t e = dir + 16 + (size_t)i * 8;
		if (e > limit || limit - e < 8)
			return false;
		uint32_t name = rd32(im->data + base + e), value = rd32(im->data + base + e + 4);
		if (any || (!(name & 0x80000000u) && name == id)) {
			*entry_value = value;
			return true;
		}
	}
	return false;
}

static void read_manifest(const struct image *im, uint32_t rva, uint32_t size,
			  struct tk_pe_info *out)
{
	size_t base;
	if (!rva || !size || !rva_to_off(im, rva, 16, &base))
		return;
	/* The tree's extent: what the directory says, cut at the end of the file. */
	size_t limit = size;
	if (limit > im->size - base)
		limit = im->size - base;
	uint32_t v;
	if (!res_find(im, base, limit, 0, RT_MANIFEST, false, &v) || !(v & 0x80000000u))
		return;
	if (!res_find(im, base, limit, v & 0x7fffffffu, 0, true, &v) || !(v & 0x80000000u))
		return;
	if (!res_find(im, base, limit, v & 0x7fffffffu, 0, true, &v) || (v & 0x80000000u))
		return;
	size_t entry = v;
	if (entry > limit || limit - entry < 16)
		return;
	const uint8_t *de = im->data + base + entry;
	uint32_t data_rva = rd32(de), data_size = rd32(de + 4);
	if (data_size > MAX_MANIFEST_BYTES)
		data_size = MAX_MANIFEST_BYTES;
	size_t off;
	if (!data_size || !rva_to_off(im, data_rva, data_size, &off))
		return;
	out->has_manifest = true;
	out->level = tk__pe_manifest_level(im->data + off, data_size, &out->ui_access);
}

bool tk__pe_parse(const uint8_t *data, size_t size, struct tk_pe_info *out, char *why,
		  size_t why_size)
{
	struct image im;
	memset(&im, 0, sizeof(im));
	im.data = data;
	im.size = data ? size : 0;
	im.why = why;
	im.why_size = why_size;
	memset(out, 0, sizeof(*out));
	if (why_size)
		why[0] = '\0';

	if (!in_file(&im, 0, 64) || data[0] != 'M' || data[1] != 'Z')
		return refuse(&im, "no MZ signature at its start");
	uint32_t pe = rd32(data + 0x3c);
	if (!in_file(&im, pe, 24) || memcmp(data + pe, "PE\0\0", 4) != 0)
		return refuse(&im, "an MZ file without a PE header (a DOS program, or damaged)");
	const uint8_t *coff = data + pe + 4;
	out->machine = rd16(coff);
	unsigned nsec = rd16(coff + 2);
	uint32_t opt_size = rd16(coff + 16);
	out->characteristics = rd16(coff + 18);
	out->dll = (out->characteristics & 0x2000u) != 0;
	size_t opt = (size_t)pe + 24;
	if (opt_size < 2 || !in_file(&im, opt, opt_size))
		return refuse(&im, "the optional header is outside the file");
	const uint8_t *o = data + opt;
	uint16_t magic = rd16(o);
	size_t ndir_at, dirs_at;
	if (magic == 0x10b) {
		out->bits = 32;
		ndir_at = 92;
		dirs_at = 96;
		if (opt_size >= 32)
			im.image_base = rd32(o + 28);
	} else if (magic == 0x20b) {
		out->bits = 64;
		ndir_at = 108;
		dirs_at = 112;
		if (opt_size >= 32)
			im.image_base = rd64(o + 24);
	} else {
		return refuse(&im, "unknown optional header magic (neither PE32 nor PE32+)");
	}
	if (opt_size < dirs_at)
		return refuse(&im, "the optional header is too short for its data directories");
	im.size_of_headers = rd32(o + 60);
	out->subsystem = rd16(o + 68);
	uint32_t ndir = rd32(o + ndir_at);
	if (ndir > (opt_size - dirs_at) / 8)
		ndir = (uint32_t)((opt_size - dirs_at) / 8);
	if (ndir > 16)
		ndir = 16;

	if (nsec > MAX_SECTIONS)
		return refuse(&im, "more than 96 sections");
	size_t sec_at = opt + opt_size;
	if (!in_file(&im, sec_at, (uint64_t)nsec * 40))
		return refuse(&im, "the section table is outside the file");
	im.nsec = nsec;
	for (unsigned i = 0; i < nsec; i++) {
		const uint8_t *s = data + sec_at + (size_t)i * 40;
		im.sec[i].vsize = rd32(s + 8);
		im.sec[i].va = rd32(s + 12);
		im.sec[i].raw_size = rd32(s + 16);
		im.sec[i].raw_off = rd32(s + 20);
	}

	uint32_t dir_rva[16] = { 0 }, dir_size[16] = { 0 };
	for (uint32_t i = 0; i < ndir; i++) {
		dir_rva[i] = rd32(o + dirs_at + (size_t)i * 8);
		dir_size[i] = rd32(o + dirs_at + (size_t)i * 8 + 4);
	}
	if (!read_imports(&im, dir_rva[DIR_IMPORT], dir_size[DIR_IMPORT], out))
		return false;
	if (!read_delay_imports(&im, dir_rva[DIR_DELAY], dir_size[DIR_DELAY], out))
		return false;
	read_manifest(&im, dir_rva[DIR_RESOURCE], dir_size[DIR_RESOURCE], out);
	return true;
}

const char *tk__pe_machine_name(uint16_t machine)
{
	switch (machine) {
	case TK_PE_MACHINE_AMD64:
		return "x64";
	case TK_PE_MACHINE_I386:
		return "x86";
	case TK_PE_MACHINE_ARM64:
		return "ARM64";
	case TK_PE_MACHINE_ARMNT:
		return "ARM";
	default:
		return "unknown";
	}
}

const char *tk__pe_level_name(enum tk_pe_level level)
{
	switch (level) {
	case TK_PE_LEVEL_HIGHEST_AVAILABLE:
		return "highestAvailable";
	case TK_PE_LEVEL_REQUIRE_ADMIN:
		return "requireAdministrator";
	case TK_PE_LEVEL_NONE:
	case TK_PE_LEVEL_AS_INVOKER:
		break;
	}
	return "asInvoker";
}

/* ---- the manifest ---- */

/* The manifest as ASCII text: UTF-16 units above 0x7f become '?'; the names and values we look
 * for are ASCII. */
struct xmltext {
	const uint8_t *p;
	size_t n; /* characters */
	bool utf16;
	size_t lo; /* index of the low byte in a UTF-16 unit */
};

static char xml_at(const struct xmltext *t, size_t i)
{
	if (!t->utf16)
		return (char)t->p[i];
	uint8_t a = t->p[2 + 2 * i + t->lo], b = t->p[2 + 2 * i + 1 - t->lo];
	return (char)(b == 0 && a < 0x80 ? a : '?');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of attribute `attr` inside the element text el[0..n), quoted ' or ". */
static bool attr_value(const char *el, size_t n, const char *attr, char *out, size_t size)
{
	size_t k = strlen(attr);
	for (size_t i = 0; k < n && i < n - k; i++) {
		if (memcmp(el + i, attr, k) != 0 || (i && !is_space(el[i - 1])))
			continue;
		size_t j = i + k;
		while (j < n && is_space(el[j]))
			j++;
		if (j >= n || el[j] != '=')
			continue;
		j++;
		while (j < n && is_space(el[j]))
			j++;
		if (j >= n || (el[j] != '"' && el[j] != '\''))
			continue;
		char q = el[j++];
		size_t m = 0;
		while (j < n && el[j] != q && m + 1 < size)
			out[m++] = el[j++];
		out[m] = '\0';
		return j < n && el[j] == q;
	}
	return false;
}

enum tk_pe_level tk__pe_manifest_level(const uint8_t *xml, size_t size, bool *ui_access)
{
	static const char needle[] = "requestedExecutionLevel";
	const size_t k = sizeof(needle) - 1;
	*ui_access = false;
	if (!xml)
		return TK_PE_LEVEL_NONE;
	struct xmltext t = { xml, size, false, 0 };
	if (size >= 2 &&
	    ((xml[0] == 0xff && xml[1] == 0xfe) || (xml[0] == 0xfe && xml[1] == 0xff))) {
		t.utf16 = true;
		t.lo = xml[0] == 0xff ? 0 : 1;
		t.n = (size - 2) / 2;
	}
	size_t at = t.n;
	for (size_t i = 0; k <= t.n && i <= t.n - k && at == t.n; i++) {
		size_t j = 0;
		while (j < k && xml_at(&t, i + j) == needle[j])
			j++;
		if (j == k)
			at = i;
	}
	if (at == t.n)
		return TK_PE_LEVEL_NONE;
	/* The element, up to its '>' (bounded: attributes fit in far less). */
	char el[1024];
	size_t len = 0;
	for (size_t i = at; i < t.n && len + 1 < sizeof(el); i++) {
		char c = xml_at(&t, i);
		if (c == '>')
			break;
		el[len++] = c;
	}
	el[len] = '\0';
	char v[32];
	if (attr_value(el, len, "uiAccess", v, sizeof(v)))
		*ui_access = ascii_casecmp(v, "true") == 0;
	if (!attr_value(el, len, "level", v, sizeof(v)))
		return TK_PE_LEVEL_NONE;
	if (strcmp(v, "requireAdministrator") == 0)
		return TK_PE_LEVEL_REQUIRE_ADMIN;
	if (strcmp(v, "highestAvailable") == 0)
		return TK_PE_LEVEL_HIGHEST_AVAILABLE;
	if (strcmp(v, "asInvoker") == 0)
		return TK_PE_LEVEL_AS_INVOKER;
	return TK_PE_LEVEL_NONE;
}

/* ---- who provides a DLL ---- */

static bool prefix_ci(const char *s, const char *p)
{
	for (; *p; s++, p++)
		if (!*s || ascii_lower(*s) != ascii_lower(*p))
			return false;
	return true;
}

enum tk_dll_provider tk__pe_dll_provider(const char *name)
{
	static const char *const sys[] = {
		"kernel32.dll", "kernelbase.dll", "ntdll.dll",	  "advapi32.dll", "sechost.dll",
		"setupapi.dll", "cfgmgr32.dll",	  "newdev.dll",	  "devobj.dll",	  "iphlpapi.dll",
		"ole32.dll",	"oleaut32.dll",	  "combase.dll",  "rpcrt4.dll",	  "msvcrt.dll",
		"ws2_32.dll",	"mswsock.dll",	  "user32.dll",	  "gdi32.dll",	  "shell32.dll",
		"shlwapi.dll",	"comctl32.dll",	  "comdlg32.dll", "bcrypt.dll",	  "ncrypt.dll",
		"crypt32.dll",	"wintrust.dll",	  "version.dll",  "userenv.dll",  "secur32.dll",
		"sspicli.dll",	"winmm.dll",	  "imm32.dll",	  "psapi.dll",	  "dbghelp.dll",
		"imagehlp.dll", "dnsapi.dll",	  "netapi32.dll", "mpr.dll",	  "wininet.dll",
		"winhttp.dll",	"wtsapi32.dll",	  "powrprof.dll", "uxtheme.dll",  "dwmapi.dll",
		"winspool.drv", "opengl32.dll",	  "d3d11.dll",	  "dxgi.dll",	  "fwpuclnt.dll",
		"wlanapi.dll",	"dhcpcsvc.dll",	  "wevtapi.dll",  "nsi.dll",	  "hid.dll",
		"wldap32.dll",	"credui.dll",	  "urlmon.dll",	  "normaliz.dll", "msi.dll",
		"nci.dll",	"msvcp_win.dll",  "ucrtbase.dll",
	};
	static const char *const vcredist[] = { "vcruntime140", "msvcp140", "concrt140",
						"vccorlib140",	"vcomp140", "mfc140" };
	static const char *const beside[] = { "wintun.dll", "tapkit.dll", "libtapkit.dll" };
	static const char *const mingw[] = { "libgcc_s_", "libwinpthread-", "libstdc++-" };
	if (!name || !*name)
		return TK_DLL_OTHER;
	if (ascii_casecmp(name, "ucrtbase.dll") == 0 || prefix_ci(name, "api-ms-win-crt-"))
		return TK_DLL_UCRT;
	for (size_t i = 0; i < TK_ARRAY_SIZE(sys); i++)
		if (ascii_casecmp(name, sys[i]) == 0)
			return TK_DLL_SYSTEM;
	if (prefix_ci(name, "api-ms-win-") || prefix_ci(name, "ext-ms-"))
		return TK_DLL_API_SET;
	for (size_t i = 0; i < TK_ARRAY_SIZE(vcredist); i++)
		if (prefix_ci(name, vcredist[i]))
			return TK_DLL_VCREDIST;
	for (size_t i = 0; i < TK_ARRAY_SIZE(beside); i++)
		if (ascii_casecmp(name, beside[i]) == 0)
			return TK_DLL_BESIDE_PROGRAM;
	for (size_t i = 0; i < TK_ARRAY_SIZE(mingw); i++)
		if (prefix_ci(name, mingw[i]))
			return TK_DLL_MINGW_RUNTIME;
	return TK_DLL_OTHER;
}

void tk__pe_dll_fix(const char *name, unsigned bits, char *buf, size_t size)
{
	const char *arch = bits == 32 ? "x86" : "x64";
	switch (tk__pe_dll_provider(name)) {
	case TK_DLL_VCREDIST:
		tk__snprintf(
			buf, size,
			"install the Microsoft Visual C++ Redistributable 2015-2022 for %s (vc_redist.%s.exe from aka.ms/vs/17/release/vc_redist.%s.exe)",
			arch, arch, arch);
		return;
	case TK_DLL_UCRT:
		tk__snprintf(
			buf, size,
			"install the Universal C Runtime (Windows Update KB2999226 on Windows 7/8.1; part of Windows 10 and later, where a missing one means a damaged system: `sfc /scannow`)");
		return;
	case TK_DLL_BESIDE_PROGRAM:
		tk__snprintf(
			buf, size,
			"put %s (the %s build) in the program's folder: it ships with the program, not with Windows",
			name, arch);
		return;
	case TK_DLL_MINGW_RUNTIME:
		tk__snprintf(
			buf, size,
			"put %s (from the same MinGW toolchain, %s) beside the program, or rebuild it with -static",
			name, arch);
		return;
	case TK_DLL_SYSTEM:
	case TK_DLL_API_SET:
		tk__snprintf(
			buf, size,
			"%s is part of Windows: this Windows is older than the program needs, or damaged (`sfc /scannow`)",
			name);
		return;
	case TK_DLL_OTHER:
		break;
	}
	tk__snprintf(
		buf, size,
		"%s comes with the program or a package it needs: reinstall the program, or put "
		"the %s %s in its folder",
		name, arch, name);
}
