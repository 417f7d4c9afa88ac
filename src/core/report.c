/* SPDX-License-Identifier: MIT */
/* Releasing doctor reports and naming check results; running the checks is the backend's job. */
#include "core_internal.h"

#include <stdlib.h>

void tk_report_free(tk_report *report)
{
	if (!report)
		return;
	free(report->checks);
	free(report);
}

const char *tk_check_status_name(tk_check_status st)
{
	switch (st) {
	case TK_CHECK_OK:
		return "ok";
	case TK_CHECK_WARN:
		return "warn";
	case TK_CHECK_FAIL:
		return "fail";
	case TK_CHECK_SKIPPED:
		return "skipped";
	}
	return "unknown";
}
