/* SPDX-License-Identifier: MIT */
/*
 * What the tap0901 facts mean for `tapkit driver status` (see drvlogic.h). The causes and
 * remedies are the doctor's (windows.driver.service, .file, .package), so the two agree.
 */
#include "drvlogic.h"

#include "core/core_internal.h"
#include "winlogic.h"

#include <string.h>

/* The command that installs the driver, naming the installer's INF when one was found. */
static void install_remedy(const struct tk_win_driver_facts *f, const char *what, char *out,
			   size_t size)
{
	if (f->installer_copy[0])
		tk__snprintf(out, size, "%s: `tapkit driver install \"%s\"` (elevated)", what,
			     f->installer_copy);
	else
		tk__snprintf(
			out, size,
			"%s: the OpenVPN installer's TAP component, or `tapkit driver install OemVista.inf` (elevated)",
			what);
}

void tk__drvlogic_verdict(const struct tk_win_driver_facts *f, tk_driver_info *out)
{
	memset(out, 0, sizeof(*out));
	tk__strlcpy(out->name, "tap0901", sizeof(out->name));
	tk__strlcpy(out->package, f->package, sizeof(out->package));
	tk__strlcpy(out->version, f->version, sizeof(out->version));
	if (!f->service_exists) {
		out->status = TK_E_DRIVER_NOT_INSTALLED;
		tk__strlcpy(out->state, "not_installed", sizeof(out->state));
		if (f->package[0]) {
			/* Installing a device of the staged package registers the service. */
			tk__snprintf(
				out->message, sizeof(out->message),
				"the TAP-Windows6 driver is not installed (no tap0901 service), but its package %s is staged",
				f->package);
			tk__strlcpy(
				out->remedy,
				"create an adapter (`tapkit create NAME`, elevated): Windows installs the staged package",
				sizeof(out->remedy));
			return;
		}
		tk__strlcpy(out->message,
			    "the TAP-Windows6 driver is not installed: no tap0901 service",
			    sizeof(out->message));
		install_remedy(f, "install TAP-Windows6", out->remedy, sizeof(out->remedy));
		return;
	}

	out->installed = true;
	out->loaded = f->state == TK_SVC_RUNNING;
	out->file_present = f->file_exists;
	tk__strlcpy(out->state, tk__winlogic_service_state_name(f->state), sizeof(out->state));
	tk__strlcpy(out->start_type, tk__winlogic_service_start_name(f->start),
		    sizeof(out->start_type));
	tk__strlcpy(out->image_path, f->image, sizeof(out->image_path));
	tk__strlcpy(out->file, f->file, sizeof(out->file));
	if (f->start == TK_SVC_START_DISABLED) {
		out->status = TK_E_DRIVER_SERVICE_STOPPED;
		tk__strlcpy(out->message,
			    "the tap0901 service is disabled (Start = 4): adapters cannot start",
			    sizeof(out->message));
		tk__strlcpy(
			out->remedy,
			"`sc config tap0901 start= demand` (elevated), then `tapkit disable NAME` and `tapkit enable NAME`",
			sizeof(out->remedy));
		return;
	}
	if (!f->file_exists) {
		out->status = TK_E_DRIVER_FILES_MISSING;
		tk__snprintf(out->message, sizeof(out->message),
			     "the tap0901 service is registered but its driver file %s is missing",
			     f->file);
		install_remedy(f, "reinstall the TAP driver", out->remedy, sizeof(out->remedy));
		return;
	}
	/* A demand-start driver service is stopped until an adapter starts it: not a fault. */
	tk__snprintf(out->message, sizeof(out->message),
		     "the tap0901 driver is installed (%s, start %s)%s", out->state,
		     out->start_type,
		     f->state == TK_SVC_RUNNING ? "" : ": it starts with the first adapter");
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool tk__drvlogic_driverver(const char *value, char *out, size_t size)
{
	const char *p = strchr(value, ',');
	size_t n = 0, parts = 1, digits = 0;

	if (size)
		out[0] = '\0';
	if (!p)
		return false;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	/* w[.x[.y[.z]]], each part 1 to 5 digits; ends at the end, a blank or a ';' comment. */
	for (; p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != ';' && p[n] != '\r' && p[n] != '\n';
	     n++) {
		if (is_digit(p[n])) {
			if (++digits > 5)
				return false;
		} else if (p[n] == '.' && digits > 0 && parts < 4) {
			parts++;
			digits = 0;
		} else {
			return false;
		}
	}
	if (digits == 0 || n + 1 > size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}
