/* SPDX-License-Identifier: MIT */
/*
 * `tapkit doctor --program PATH`: why a Windows program that uses TAP adapters does not start or
 * cannot manage them. The loader stops a program with a missing DLL before its main runs, so the
 * evidence is in the program's file: its PE headers (pe.c), the DLLs it imports and delay-loads,
 * and its manifest. On Windows every DLL is looked up as the loader does (the backend's
 * tk__loader: KnownDLLs, API sets, the application directory, the system directory for the
 * program's bitness, the Windows directory, PATH), recursively through the DLLs that are not
 * part of Windows; each missing one is reported with the package that provides it. Elsewhere the
 * file is still read and its imports classified; the search is reported as skipped.
 */
#include "backend.h"
#include "core/config.h"
#include "core/pe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <windows.h>
#endif

#define PROGRAM_MAX_BYTES ((size_t)128 * 1024 * 1024)
#define WALK_MAX	  128u /* DLLs looked at in all */
#define WALK_DEPTH	  8u

struct dep {
	char name[TK_PE_NAME_MAX];
	char needed_by[TK_PE_NAME_MAX];
	char path[TK_DRIVER_PATH_MAX];
	const char *where;
	unsigned depth;
	bool delay, found, system, wrong_arch, unreadable;
	uint16_t machine;
};

struct walk {
	const struct tk__loader *ld;
	uint16_t machine;
	unsigned bits;
	char appdir[TK_DRIVER_PATH_MAX];
	size_t n;
	bool truncated;
	struct dep deps[WALK_MAX];
};

/* Reads a whole file (at most PROGRAM_MAX_BYTES) into a heap buffer; errno-style code on failure. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = NULL;
#if defined(_WIN32)
	wchar_t wpath[1024];
	if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath, 1024))
		return EINVAL;
	f = _wfopen(wpath, L"rb");
#else
	f = fopen(path, "rb");
#endif
	if (!f)
		return errno ? errno : ENOENT;
	size_t cap = 1u << 16, n = 0;
	uint8_t *buf = malloc(cap);
	int rc = 0;
	if (!buf) {
		fclose(f);
		return ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= PROGRAM_MAX_BYTES) {
				rc = EFBIG;
				break;
			}
			uint8_t *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				rc = ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = EIO;
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*size = n;
	return 0;
}

static bool load_pe(const char *path, struct tk_pe_info *pe, int *os_err, char *why, size_t size)
{
	uint8_t *data = NULL;
	size_t n = 0;
	*os_err = read_file(path, &data, &n);
	if (*os_err) {
		tk__snprintf(why, size, "%s", tk__file_errno_text(*os_err));
		return false;
	}
	bool ok = tk__pe_parse(data, n, pe, why, size);
	free(data);
	return ok;
}

static void walk_add(struct walk *w, const char *name, const char *needed_by, bool delay,
		     unsigned depth)
{
	for (size_t i = 0; i < w->n; i++)
		if (tk__pe_name_equal(w->deps[i].name, name)) {
			w->deps[i].delay = w->deps[i].delay && delay;
			return;
		}
	if (w->n >= WALK_MAX) {
		w->truncated = true;
		return;
	}
	struct dep *d = &w->deps[w->n++];
	memset(d, 0, sizeof(*d));
	tk__strlcpy(d->name, name, sizeof(d->name));
	tk__strlcpy(d->needed_by, needed_by, sizeof(d->needed_by));
	d->delay = delay;
	d->depth = depth;
}

/* Breadth first: the program's imports, then the imports of each DLL found outside Windows. */
static void walk_run(struct walk *w, const struct tk_pe_info *pe, const char *program)
{
	for (size_t i = 0; i < pe->nimports; i++)
		walk_add(w, pe->imports[i].name, program, pe->imports[i].delay, 1);
	for (size_t i = 0; i < w->n; i++) {
		struct dep *d = &w->deps[i];
		d->found = w->ld->find(w->ld->user, d->name, w->bits, w->appdir, d->path,
				       sizeof(d->path), &d->where, &d->system);
		if (!d->found || d->system)
			continue;
		struct tk_pe_info *sub = malloc(sizeof(*sub));
		char why[TK_ERROR_TEXT_MAX];
		int os_err = 0;
		if (!sub || !load_pe(d->path, sub, &os_err, why, sizeof(why))) {
			d->unreadable = true;
			free(sub);
			continue;
		}
		d->machine = sub->machine;
		if (sub->machine != w->machine) {
			d->wrong_arch = true;
		} else if (d->depth < WALK_DEPTH) {
			for (size_t k = 0; k < sub->nimports; k++)
				if (!sub->imports[k].delay)
					walk_add(w, sub->imports[k].name, d->name, d->delay,
						 d->depth + 1);
		}
		free(sub);
	}
}

const char *tk__path_base(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

static void dir_name(const char *path, char *out, size_t size)
{
	const char *b = tk__path_base(path);
	if (b == path) {
		tk__strlcpy(out, ".", size);
		return;
	}
	size_t n = (size_t)(b - path) - 1;
	if (n == 0 || (n == 2 && path[1] == ':'))
		n++; /* "/" and "C:\" keep their separator */
	if (n >= size)
		n = size - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

static bool imports_any(const struct tk_pe_info *pe, const char *const *names, size_t count)
{
	for (size_t i = 0; i < pe->nimports; i++)
		for (size_t k = 0; k < count; k++)
			if (tk__pe_name_equal(pe->imports[i].name, names[k]))
				return true;
	return false;
}

static void check_bitness(struct tk__doctor *d, const char *path, const struct tk_pe_info *pe,
			  const struct tk__loader *ld)
{
	tk_check *c =
		tk__doctor_add(d, "program.bitness", "the program's bitness and the OS's", path);
	if (tk__doctor_skip_unless_ok(d, c, "program.file"))
		return;
	const char *arch = tk__pe_machine_name(pe->machine);
	tk__check_evidence(c, "program", "%s (%u-bit)", arch, pe->bits);
	if (!ld->available || !ld->os_bits) {
		tk__check_ok(c, "a %u-bit %s program: it needs %s Windows", pe->bits, arch,
			     pe->bits == 64 ? "64-bit" : "32-bit or 64-bit");
		return;
	}
	tk__check_evidence(c, "os", "%s (%u-bit)", tk__pe_machine_name(ld->os_machine),
			   ld->os_bits);
	tk__check_evidence(c, "driver", "tap0901.sys must be the OS's own %s build",
			   tk__pe_machine_name(ld->os_machine));
	if (pe->bits > ld->os_bits ||
	    (pe->machine == TK_PE_MACHINE_ARM64 && ld->os_machine != TK_PE_MACHINE_ARM64) ||
	    (pe->machine != TK_PE_MACHINE_I386 && pe->machine != ld->os_machine &&
	     ld->os_machine != TK_PE_MACHINE_ARM64)) {
		tk__check_fail(
			c, TK_E_UNSUPPORTED, TK_OS_WIN32, 216,
			"an %s program cannot run on this %s Windows (ERROR_EXE_MACHINE_TYPE_MISMATCH)",
			arch, tk__pe_machine_name(ld->os_machine));
		tk__check_remedy(c, "use the program's %s build",
				 tk__pe_machine_name(ld->os_machine));
		return;
	}
	if (pe->bits < ld->os_bits && ld->no_32bit) {
		tk__check_fail(
			c, TK_E_UNSUPPORTED, TK_OS_WIN32, 216,
			"a 32-bit program, but this 64-bit Windows has no 32-bit subsystem (no SysWOW64 folder: Wine without wine32, or Server Core with WOW64 removed)");
		tk__check_remedy(
			c,
			"use the program's 64-bit build, or add 32-bit support (Wine: the wine32 package)");
		return;
	}
	if (pe->bits < ld->os_bits) {
		tk__check_warn(
			c, TK_E_WOW64, TK_OS_NONE, 0,
			"a 32-bit program on 64-bit Windows (WOW64): it can open TAP adapters, but creating, deleting, enabling them and installing the driver fail with ERROR_IN_WOW64 (0xE0000235)");
		tk__check_remedy(
			c,
			"use the program's 64-bit build to manage adapters, or create them beforehand with the 64-bit `tapkit create`");
		return;
	}
	tk__check_ok(c, "an %s program on %s Windows, like the driver", arch,
		     tk__pe_machine_name(ld->os_machine));
}

static void check_elevation(struct tk__doctor *d, const char *path, const struct tk_pe_info *pe)
{
	static const char *const manage[] = { "newdev.dll", "tapkit.dll", "libtapkit.dll" };
	tk_check *c =
		tk__doctor_add(d, "program.elevation", "the elevation its manifest requests", path);
	if (tk__doctor_skip_unless_ok(d, c, "program.file"))
		return;
	const char *level = tk__pe_level_name(pe->level);
	tk__check_evidence(c, "manifest", "%s", pe->has_manifest ? "embedded" : "none");
	tk__check_evidence(c, "requestedExecutionLevel", "%s%s", level,
			   pe->level == TK_PE_LEVEL_NONE ? " (none requested)" : "");
	if (pe->ui_access)
		tk__check_evidence(c, "uiAccess", "true");
	bool manages = imports_any(pe, manage, TK_ARRAY_SIZE(manage));
	tk__check_evidence(c, "manages_adapters", "%s",
			   manages ? "likely (imports newdev.dll or tapkit's DLL)" : "not seen");
	if (pe->level == TK_PE_LEVEL_REQUIRE_ADMIN) {
		tk__check_ok(c, "the manifest requests elevation (requireAdministrator)");
		return;
	}
	if (manages) {
		tk__check_warn(
			c, TK_E_NO_PRIVILEGE, TK_OS_NONE, 0,
			"the program manages adapters but its manifest requests %s: started normally it runs unelevated, and creating, deleting or enabling adapters fails with access denied",
			level);
		tk__check_remedy(
			c,
			"start it with Run as administrator, or embed a manifest with <requestedExecutionLevel level=\"requireAdministrator\"/>");
		return;
	}
	tk__check_ok(c, "%s: runs with the rights of whoever starts it (enough to open adapters)",
		     level);
}

static void provider_word(const char *name, char *buf, size_t size)
{
	static const char *const words[] = {
		[TK_DLL_OTHER] = "the program's",
		[TK_DLL_SYSTEM] = "Windows",
		[TK_DLL_API_SET] = "API set",
		[TK_DLL_UCRT] = "Universal C Runtime",
		[TK_DLL_VCREDIST] = "VC++ Redistributable",
		[TK_DLL_BESIDE_PROGRAM] = "beside the program",
		[TK_DLL_MINGW_RUNTIME] = "MinGW runtime",
	};
	tk__snprintf(buf, size, "%s (%s)", name, words[tk__pe_dll_provider(name)]);
}

static void append(char *buf, size_t size, const char *sep, const char *text)
{
	size_t used = strlen(buf);
	tk__snprintf(buf + used, size - used, "%s%s", used ? sep : "", text);
}

static void check_dlls(struct tk__doctor *d, const char *path, const struct tk_pe_info *pe,
		       struct walk *w)
{
	tk_check *c = tk__doctor_add(d, "program.dlls", "the DLLs the program needs", path);
	if (tk__doctor_skip_unless_ok(d, c, "program.bitness"))
		return;
	char list[TK_ERROR_TEXT_MAX] = "", item[TK_PE_NAME_MAX + 32];
	for (size_t i = 0; i < pe->nimports; i++) {
		provider_word(pe->imports[i].name, item, sizeof(item));
		if (pe->imports[i].delay)
			tk__strlcpy(item + strlen(item), " delayed", sizeof(item) - strlen(item));
		append(list, sizeof(list), ", ", item);
	}
	tk__check_evidence(c, "imports", "%s", pe->nimports ? list : "none");
	if (!w->ld->available) {
		tk__check_skip_host(
			c, "not-windows",
			"%zu DLL%s imported; whether each is found can only be told on Windows (the loader's search order needs its folders and registry)",
			pe->nimports, pe->nimports == 1 ? "" : "s");
		return;
	}
	tk__check_evidence(c, "search_order", "%s", w->ld->order);
	walk_run(w, pe, tk__path_base(path));
	char beside[TK_ERROR_TEXT_MAX] = "", missing[TK_ERROR_TEXT_MAX] = "";
	size_t nmissing = 0, ndelay = 0, nbad = 0;
	for (size_t i = 0; i < w->n; i++) {
		const struct dep *dp = &w->deps[i];
		if (dp->found && !dp->system && !dp->wrong_arch && !dp->unreadable) {
			tk__snprintf(item, sizeof(item), "%s (%s)", dp->name, dp->where);
			append(beside, sizeof(beside), ", ", item);
		}
		if (!dp->found) {
			append(missing, sizeof(missing), ", ", dp->name);
			if (dp->delay)
				ndelay++;
			else
				nmissing++;
		} else if (dp->wrong_arch || dp->unreadable) {
			append(missing, sizeof(missing), ", ", dp->name);
			nbad++;
		}
	}
	tk__check_evidence(c, "looked_up", "%zu%s", w->n, w->truncated ? " (stopped at 128)" : "");
	if (beside[0])
		tk__check_evidence(c, "not_from_windows", "%s", beside);
	if (nmissing || nbad) {
		tk__check_fail(c, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 126,
			       "the program cannot start: %s (see program.dll for each)", missing);
		tk__check_remedy(c, "install or copy what each program.dll check names");
	} else if (ndelay) {
		tk__check_warn(
			c, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 126,
			"the program starts, but fails when it first calls into a delay-loaded DLL that is missing: %s",
			missing);
		tk__check_remedy(c, "install or copy what each program.dll check names");
	} else {
		tk__check_ok(c, "all %zu DLLs are found%s", w->n,
			     w->truncated ? " (the first 128 looked at)" : "");
		return;
	}

	for (size_t i = 0; i < w->n; i++) {
		const struct dep *dp = &w->deps[i];
		if (dp->found && !dp->wrong_arch && !dp->unreadable)
			continue;
		tk_check *m = tk__doctor_add(d, "program.dll", "a DLL the program needs", dp->name);
		char fix[TK_ERROR_TEXT_MAX];
		tk__pe_dll_fix(dp->name, w->bits, fix, sizeof(fix));
		tk__check_evidence(m, "needed_by", "%s%s", dp->needed_by,
				   dp->delay ? " (delay-loaded)" : "");
		provider_word(dp->name, item, sizeof(item));
		tk__check_evidence(m, "provider", "%s", item);
		if (dp->found) {
			tk__check_evidence(m, "path", "%s (%s)", dp->path, dp->where);
			if (dp->wrong_arch) {
				tk__check_fail(
					m, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 193,
					"%s is found at %s but is an %s DLL for an %s program: the loader fails with 0xC000007B",
					dp->name, dp->path, tk__pe_machine_name(dp->machine),
					tk__pe_machine_name(w->machine));
			} else {
				tk__check_fail(m, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 193,
					       "%s is found at %s but is not a readable PE image",
					       dp->name, dp->path);
			}
			tk__check_remedy(m, "replace it with the %s build: %s",
					 tk__pe_machine_name(w->machine), fix);
			continue;
		}
		if (dp->delay)
			tk__check_warn(
				m, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 126,
				"%s (delay-loaded by %s) is not found: the call that first needs it fails",
				dp->name, dp->needed_by);
		else
			tk__check_fail(m, TK_E_MISSING_DEPENDENCY, TK_OS_WIN32, 126,
				       "%s (needed by %s) is not found: the program does not start",
				       dp->name, dp->needed_by);
		tk__check_remedy(m, "%s", fix);
	}
}

void tk__doctor_program_with(const char *path, struct tk__doctor *d, const struct tk__loader *ld)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct tk_pe_info *pe = calloc(1, sizeof(*pe));
	tk_check *c = tk__doctor_add(d, "program.file", "the program's PE headers", path);
	if (!w || !pe) {
		tk__check_fail(c, TK_E_NO_MEMORY, TK_OS_NONE, 0,
			       "cannot allocate the program's facts");
		goto out;
	}
	char why[TK_ERROR_TEXT_MAX];
	int os_err = 0;
	if (!load_pe(path, pe, &os_err, why, sizeof(why))) {
		if (os_err) {
			tk__check_fail(c, TK_E_BAD_ARGUMENT, TK_OS_ERRNO, os_err,
				       "cannot read %s: %s", path, why);
			tk__check_remedy(c, "give the path of the program's .exe (or .dll)");
		} else {
			tk__check_fail(c, TK_E_BAD_ARGUMENT, TK_OS_NONE, 0,
				       "%s is not a valid Windows program: %s", path, why);
			tk__check_remedy(
				c,
				"give the program's .exe (or .dll); a damaged file needs the program reinstalled");
		}
	} else {
		tk__check_evidence(c, "machine", "%s (0x%04x)", tk__pe_machine_name(pe->machine),
				   (unsigned)pe->machine);
		tk__check_evidence(c, "bits", "%u", pe->bits);
		tk__check_evidence(c, "kind", "%s",
				   pe->dll		? "DLL"
				   : pe->subsystem == 2 ? "GUI program"
				   : pe->subsystem == 3 ? "console program"
							: "program");
		tk__check_evidence(c, "imports", "%zu%s", pe->nimports,
				   pe->imports_truncated ? " (more not kept)" : "");
		tk__check_ok(c, "a %u-bit %s %s", pe->bits, tk__pe_machine_name(pe->machine),
			     pe->dll ? "DLL" : "program");
	}
	check_bitness(d, path, pe, ld);
	check_elevation(d, path, pe);
	w->ld = ld;
	w->machine = pe->machine;
	w->bits = pe->bits;
	dir_name(path, w->appdir, sizeof(w->appdir));
	check_dlls(d, path, pe, w);
out:
	free(pe);
	free(w);
}

void tk__doctor_program(tk_ctx *ctx, const char *path, struct tk__doctor *d)
{
	struct tk__loader ld;
	memset(&ld, 0, sizeof(ld));
	tk__backend_loader(&ld);
	tk__log(ctx, TK_LOG_DEBUG, "core.doctor", NULL, 0, "doctor --program: reading the file");
	tk__doctor_program_with(path, d, &ld);
}
