/* SPDX-License-Identifier: MIT */
/*
 * The pure half of `tapkit driver status` on Windows: what the facts about the tap0901 service,
 * its file and the driver store mean, and the INF DriverVer parser. No Windows header, so the
 * unit tests run on Linux as well as under Wine (tests/unit/test_win_driver.c).
 */
#ifndef TK_DRVLOGIC_H
#define TK_DRVLOGIC_H

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What driver.c read. Strings are never NULL ("" when unknown or absent). */
struct tk_win_driver_facts {
	bool service_exists; /* OpenService found tap0901 */
	uint32_t state;	     /* SERVICE_* state (TK_SVC_*) */
	uint32_t start;	     /* the Start value */
	const char *image;   /* ImagePath as stored, "" when absent (the SCM's default) */
	const char *file;    /* ImagePath resolved to a path */
	bool file_exists;
	const char *package;	    /* "oemvista.inf_amd64_..." in the driver store, "" if none */
	const char *installer_copy; /* an installer's OemVista.inf on disk, "" if none */
	const char *version;	    /* the package's DriverVer version, "" if unknown */
};

/* Fills out (zeroed first) from the facts: status, flags, state names, message and remedy. */
void tk__drvlogic_verdict(const struct tk_win_driver_facts *f, tk_driver_info *out);

/*
 * The version of an INF's DriverVer value, "MM/DD/YYYY[,w.x.y.z]" (spaces allowed around the
 * comma): "9.24.2.601" into out. False (out "") when there is no well-formed version.
 */
bool tk__drvlogic_driverver(const char *value, char *out, size_t size);

#endif /* TK_DRVLOGIC_H */
