/* SPDX-License-Identifier: MIT */
/*
 * The tun driver: whether the kernel has it (registered, built in, a module loaded or loadable)
 * and the backend's driver calls. The doctor's linux.driver check and tk_driver_status read the
 * same facts through tk__driver_tun_probe and interpret them with tk__driver_tun_classify, so
 * the two can never disagree.
 *
 * A registered misc device shows in /sys/class/misc/tun whether tun is built in or a module.
 * /sys/module/tun/initstate exists only for a loadable module; a built-in driver without
 * parameters has no /sys/module/tun at all, so its absence is no sign of a missing driver.
 *
 * Installing a driver and enabling a device are Windows notions: on Linux they say what does the
 * job instead (`modprobe tun`, `tapkit up|down`).
 */
#include "linux_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static bool path_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Looks for "CONFIG_TUN=y|m" in a kernel config file; returns 'y', 'm', 'n' or 0 (unknown). */
static char config_tun(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[256];
	char v = 'n';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "CONFIG_TUN=", 11) == 0) {
			v = line[11];
			break;
		}
	}
	fclose(f);
	return v;
}

/* Whether a line of modules.builtin names tun.ko. */
static bool modules_builtin_has_tun(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "kernel/drivers/net/tun.ko\n") == 0;
	fclose(f);
	return found;
}

static bool module_file_find(const char *release, char *path, size_t size)
{
	static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
	for (size_t i = 0; i < TK_ARRAY_SIZE(exts); i++) {
		snprintf(path, size, "/lib/modules/%s/kernel/drivers/net/tun.ko%s", release,
			 exts[i]);
		if (path_exists(path))
			return true;
	}
	path[0] = '\0';
	return false;
}

void tk__driver_tun_probe(struct tk__tun_facts *out)
{
	struct utsname u;
	char buf[64];
	char dir[400];

	memset(out, 0, sizeof(*out));
	if (uname(&u) == 0)
		tk__strlcpy(out->release, u.release, sizeof(out->release));
	out->registered = path_exists("/sys/class/misc/tun");
	out->module_loaded =
		tk__procfs_read_file("/sys/module/tun/initstate", buf, sizeof(buf)) > 0;
	if (out->module_loaded) {
		buf[strcspn(buf, "\n")] = '\0';
		tk__strlcpy(out->initstate, buf, sizeof(out->initstate));
	}
	snprintf(out->builtin_path, sizeof(out->builtin_path), "/lib/modules/%s/modules.builtin",
		 out->release);
	out->builtin_listed = modules_builtin_has_tun(out->builtin_path);
	snprintf(out->config_path, sizeof(out->config_path), "/boot/config-%s", out->release);
	out->config = config_tun(out->config_path);
	out->module_file =
		module_file_find(out->release, out->module_path, sizeof(out->module_path));
	snprintf(dir, sizeof(dir), "/lib/modules/%s", out->release);
	out->modules_dir = path_exists(dir);
}

enum tk__tun_verdict tk__driver_tun_classify(const struct tk__tun_facts *f)
{
	bool builtin = f->builtin_listed || f->config == 'y';
	if (f->registered) {
		if (f->module_loaded)
			return TK__TUN_LOADED_MODULE;
		return builtin ? TK__TUN_LOADED_BUILTIN : TK__TUN_LOADED;
	}
	if (builtin)
		return TK__TUN_BUILTIN;
	if (f->module_file || f->config == 'm')
		return TK__TUN_MODULE;
	if (f->config == 'n' || f->modules_dir)
		return TK__TUN_MISSING;
	return TK__TUN_UNKNOWN;
}

void tk__driver_tun_info(const struct tk__tun_facts *f, tk_driver_info *out)
{
	enum tk__tun_verdict v = tk__driver_tun_classify(f);

	memset(out, 0, sizeof(*out));
	tk__strlcpy(out->name, "tun", sizeof(out->name));
	tk__strlcpy(out->version, f->release, sizeof(out->version));
	tk__strlcpy(out->file, f->module_path, sizeof(out->file));
	out->loaded = f->registered;
	out->builtin = v == TK__TUN_LOADED_BUILTIN || v == TK__TUN_LOADED || v == TK__TUN_BUILTIN;
	out->installed = v != TK__TUN_MISSING && v != TK__TUN_UNKNOWN;
	out->file_present = out->builtin || f->module_file;
	out->status = out->installed ? TK_OK : TK_E_TUN_MISSING;
	switch (v) {
	case TK__TUN_LOADED_MODULE:
		tk__strlcpy(out->state, "loaded", sizeof(out->state));
		tk__snprintf(
			out->message, sizeof(out->message),
			"the tun driver is loaded as a module (%s) and registered (misc 10:200)",
			f->initstate);
		break;
	case TK__TUN_LOADED_BUILTIN:
	case TK__TUN_LOADED:
		tk__strlcpy(out->state, "builtin", sizeof(out->state));
		tk__snprintf(out->message, sizeof(out->message),
			     "the tun driver is built into kernel %s and registered (misc 10:200)",
			     f->release);
		break;
	case TK__TUN_BUILTIN:
		tk__strlcpy(out->state, "builtin", sizeof(out->state));
		tk__snprintf(out->message, sizeof(out->message),
			     "the tun driver is built into kernel %s", f->release);
		break;
	case TK__TUN_MODULE:
		tk__strlcpy(out->state, "not_loaded", sizeof(out->state));
		tk__snprintf(out->message, sizeof(out->message),
			     "the tun driver is a module that is not loaded yet: the first open of "
			     "%s loads it",
			     TK__TUN_PATH);
		tk__strlcpy(out->remedy, "`modprobe tun` loads it now (optional)",
			    sizeof(out->remedy));
		break;
	case TK__TUN_MISSING:
		tk__strlcpy(out->state, "missing", sizeof(out->state));
		tk__snprintf(out->message, sizeof(out->message),
			     "kernel %s has no tun driver: not registered, not built in, no tun.ko "
			     "module",
			     f->release);
		tk__strlcpy(out->remedy,
			    "install the kernel's modules package (Debian: `apt install "
			    "linux-image-$(uname -r)`), or build the kernel with CONFIG_TUN; then "
			    "`modprobe tun`",
			    sizeof(out->remedy));
		break;
	case TK__TUN_UNKNOWN:
		tk__strlcpy(out->state, "unknown", sizeof(out->state));
		tk__strlcpy(out->message,
			    "the tun driver is not registered and nothing here tells whether the "
			    "kernel has it (no kernel config or modules: a container?)",
			    sizeof(out->message));
		tk__strlcpy(out->remedy,
			    "on the host: `modprobe tun`; in a container start it with `--device "
			    "/dev/net/tun`",
			    sizeof(out->remedy));
		break;
	}
}

tk_status tk__backend_driver_status(tk_ctx *ctx, tk_driver_info *out, tk_error *err)
{
	struct tk__tun_facts f;

	(void)err;
	tk__driver_tun_probe(&f);
	tk__driver_tun_info(&f, out);
	tk__log(ctx, TK_LOG_DEBUG, "linux.driver", NULL, 0, "%s", out->message);
	return TK_OK;
}

tk_status tk__backend_driver_install(tk_ctx *ctx, const char *inf, bool *reboot, tk_error *err)
{
	*reboot = false;
	tk__error_set(
		ctx, err, TK_E_UNSUPPORTED, "install driver", inf, TK_OS_NONE, 0,
		"Linux has no driver packages to install: the tun driver comes with the kernel");
	tk__error_remedy(err, "load it with `modprobe tun` (root); `tapkit driver status` tells "
			      "whether it is there");
	return TK_E_UNSUPPORTED;
}

tk_status tk__backend_adapter_set_enabled(tk_ctx *ctx, const char *name, bool on, tk_error *err)
{
	tk__error_set(ctx, err, TK_E_UNSUPPORTED, on ? "enable adapter" : "disable adapter", name,
		      TK_OS_NONE, 0,
		      "Linux interfaces have no device to enable or disable (a Windows notion)");
	tk__error_remedy(err, "set the interface up or down instead: `tapkit %s %s`",
			 on ? "up" : "down", name);
	return TK_E_UNSUPPORTED;
}
