/* SPDX-License-Identifier: MIT */
/*
 * Watch on Windows: not implemented. The natural source would be NotifyIpInterfaceChange (IP
 * Helper) or CM_Register_Notification for the network class; until then the call says so and
 * what to use instead.
 */
#include "win_internal.h"

tk_status tk__backend_watch_open(tk_ctx *ctx, struct tk__watch_os **out, tk_error *err)
{
	*out = NULL;
	tk__error_set(ctx, err, TK_E_UNSUPPORTED, "watch", "", TK_OS_NONE, 0,
		      "watching adapters is not implemented on Windows yet");
	tk__error_remedy(
		err,
		"configure adapters once with `tapkit set`/`tapkit addr` (Windows keeps addresses and MTU), or poll `tapkit list`");
	return TK_E_UNSUPPORTED;
}

void tk__backend_watch_close(struct tk__watch_os *os)
{
	(void)os;
}

tk_os_handle tk__backend_watch_handle(const struct tk__watch_os *os)
{
	(void)os;
	return TK_OS_HANDLE_INVALID;
}

tk_status tk__backend_watch_read(tk_ctx *ctx, struct tk__watch_os *os, int timeout_ms,
				 tk__link_event_fn *fn, void *user, bool *lost, tk_error *err)
{
	(void)os;
	(void)timeout_ms;
	(void)fn;
	(void)user;
	(void)lost;
	return tk__error_set(ctx, err, TK_E_UNSUPPORTED, "watch", "", TK_OS_NONE, 0,
			     "watching adapters is not implemented on Windows yet");
}
