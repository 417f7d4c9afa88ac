/* SPDX-License-Identifier: MIT */
/*
 * The watch's decisions as pure code (no OS call), unit-tested on Linux and under Wine
 * (tests/unit/test_win_watch.c):
 * - Windows: what state an adapter is in from what CfgMgr and the object manager say, and which
 *   events a change between two scans of the adapters means (appeared, re-enabled, came back,
 *   re-created, renamed, gone);
 * - every OS: what to do with an adapter a section matches, given its state (apply, enable
 *   first, leave a disabled one alone, only disable) and whether a rename is due.
 */
#ifndef TK_WATCHLOGIC_H
#define TK_WATCHLOGIC_H

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tk_watch_state {
	TK_WATCH_GONE = 0,    /* no device node (removed), or not in the scan */
	TK_WATCH_DISABLED,    /* the device is disabled (problem 22) */
	TK_WATCH_NOT_STARTED, /* the device exists but its driver does not serve it (no device
				 link \\.\Global\{GUID}.tap): a problem, the driver stopped */
	TK_WATCH_UP,	      /* working: the device link exists */
};

/* The state from CfgMgr's answers (devnode found, problem code) and the device link. */
enum tk_watch_state tk__watchlogic_state(bool devnode, uint32_t problem, bool link);
const char *tk__watchlogic_state_name(enum tk_watch_state st);

/* One adapter in one scan. */
struct tk_watch_snap {
	char id[TK_ID_MAX]; /* {GUID}: one incarnation (a re-created adapter has a new one) */
	char name[TK_NAME_MAX];
	uint32_t ifindex;
	enum tk_watch_state state;
};

/* An event the comparison of two scans found; `why` says it in a few words for the log. */
struct tk_watch_change {
	const struct tk_watch_snap *a; /* the adapter as it is now (removed: as it was) */
	bool removed;		       /* it stopped working or went away */
	bool disabled;		       /* it is there but disabled: apply only with Enable = true */
	const char *why; /* "new", "re-created", "re-enabled", "came back", "renamed", "gone",
			    "disabled", "stopped", "found disabled" */
};
typedef void tk__watchlogic_change_fn(void *user, const struct tk_watch_change *c);

/*
 * Compares the previous scan with the current one (ids compared case-insensitively) and calls
 * fn for each change, removals first. A working adapter that stops working or goes is
 * "removed"; one that starts working (new, re-enabled, back after its device link was gone) or
 * is renamed is reported as it is now; a disabled one is reported once when it becomes
 * disabled (or is first seen so). Returns the number of changes.
 */
size_t tk__watchlogic_diff(const struct tk_watch_snap *prev, size_t nprev,
			   const struct tk_watch_snap *cur, size_t ncur,
			   tk__watchlogic_change_fn *fn, void *user);

enum tk_watch_verdict {
	TK_WATCH_APPLY,		   /* apply the section */
	TK_WATCH_ENABLE_AND_APPLY, /* enable the device first (Enable = true), then apply */
	TK_WATCH_DISABLE_ONLY,	   /* Enable = false: disable it; nothing else applies */
	TK_WATCH_LEAVE_DISABLED,   /* disabled and the section does not say Enable = true */
	TK_WATCH_LEAVE_ALONE,	   /* Enable = false and it is disabled already */
};
/* What to do with an adapter a section matches. has_enable: the section sets Enable. */
enum tk_watch_verdict tk__watchlogic_verdict(bool disabled, bool has_enable, bool enable);
/* True when the section's ConnectionName (want, "" if none) differs from the name now. */
bool tk__watchlogic_rename_due(const char *want, const char *name);

#endif /* TK_WATCHLOGIC_H */
