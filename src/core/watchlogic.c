/* SPDX-License-Identifier: MIT */
/* The watch's decisions as pure code (watchlogic.h). */
#include "watchlogic.h"

#include "config.h"

#include <string.h>

#define TK__CM_PROB_DISABLED 22u /* cfg.h CM_PROB_DISABLED */

enum tk_watch_state tk__watchlogic_state(bool devnode, uint32_t problem, bool link)
{
	if (!devnode)
		return TK_WATCH_GONE;
	if (problem == TK__CM_PROB_DISABLED)
		return TK_WATCH_DISABLED;
	/* Any other problem (10 failed to start, 28 no driver, ...) leaves no device link. */
	return link ? TK_WATCH_UP : TK_WATCH_NOT_STARTED;
}

const char *tk__watchlogic_state_name(enum tk_watch_state st)
{
	switch (st) {
	case TK_WATCH_GONE:
		return "gone";
	case TK_WATCH_DISABLED:
		return "disabled";
	case TK_WATCH_NOT_STARTED:
		return "not started";
	case TK_WATCH_UP:
		return "up";
	}
	return "?";
}

static const struct tk_watch_snap *by_id(const struct tk_watch_snap *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (tk__config_key_is(list[i].id, id))
			return &list[i];
	return NULL;
}

/* A working adapter of the previous scan with this name but another id: re-created. */
static bool recreated(const struct tk_watch_snap *prev, size_t nprev, const struct tk_watch_snap *c)
{
	for (size_t i = 0; i < nprev; i++)
		if (strcmp(prev[i].name, c->name) == 0 && !tk__config_key_is(prev[i].id, c->id))
			return true;
	return false;
}

size_t tk__watchlogic_diff(const struct tk_watch_snap *prev, size_t nprev,
			   const struct tk_watch_snap *cur, size_t ncur,
			   tk__watchlogic_change_fn *fn, void *user)
{
	size_t n = 0;
	if (!prev)
		nprev = 0;
	if (!cur)
		ncur = 0;
	for (size_t i = 0; i < nprev; i++) {
		const struct tk_watch_snap *p = &prev[i];
		if (p->state != TK_WATCH_UP)
			continue;
		const struct tk_watch_snap *c = by_id(cur, ncur, p->id);
		if (c && c->state == TK_WATCH_UP)
			continue;
		struct tk_watch_change ch = { .a = p, .removed = true };
		ch.why = !c || c->state == TK_WATCH_GONE ? "gone"
			 : c->state == TK_WATCH_DISABLED ? "disabled"
							 : "stopped";
		fn(user, &ch);
		n++;
	}
	for (size_t i = 0; i < ncur; i++) {
		const struct tk_watch_snap *c = &cur[i];
		const struct tk_watch_snap *p = by_id(prev, nprev, c->id);
		struct tk_watch_change ch = { .a = c };
		if (c->state == TK_WATCH_UP) {
			if (!p)
				ch.why = recreated(prev, nprev, c) ? "re-created" : "new";
			else if (p->state == TK_WATCH_DISABLED)
				ch.why = "re-enabled";
			else if (p->state != TK_WATCH_UP)
				ch.why = "came back";
			else if (strcmp(p->name, c->name) != 0)
				ch.why = "renamed";
			else
				continue;
		} else if (c->state == TK_WATCH_DISABLED) {
			if (p && p->state == TK_WATCH_DISABLED)
				continue;
			ch.disabled = true;
			ch.why = p ? "disabled" : "found disabled";
		} else {
			continue;
		}
		fn(user, &ch);
		n++;
	}
	return n;
}

enum tk_watch_verdict tk__watchlogic_verdict(bool disabled, bool has_enable, bool enable)
{
	if (has_enable && !enable)
		return disabled ? TK_WATCH_LEAVE_ALONE : TK_WATCH_DISABLE_ONLY;
	if (!disabled)
		return TK_WATCH_APPLY;
	return has_enable ? TK_WATCH_ENABLE_AND_APPLY : TK_WATCH_LEAVE_DISABLED;
}

bool tk__watchlogic_rename_due(const char *want, const char *name)
{
	return want && *want && strcmp(want, name) != 0;
}
