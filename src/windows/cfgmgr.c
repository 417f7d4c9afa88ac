/* SPDX-License-Identifier: MIT */
/*
 * CfgMgr32: the live state of a device instance (started, has a problem, which problem). This
 * is what Device Manager shows as "Code 22" or "Code 52"; winlogic.c says what each code means.
 */
#include "win_internal.h"

#include <cfgmgr32.h>

uint32_t tk__cfgmgr_status(DWORD devinst, uint32_t *status, uint32_t *problem)
{
	ULONG st = 0, prob = 0;
	CONFIGRET cr = CM_Get_DevNode_Status(&st, &prob, devinst, 0);
	*status = cr == CR_SUCCESS ? (uint32_t)st : 0;
	/* The problem code is meaningful only with DN_HAS_PROBLEM (cfgmgr32.h). */
	*problem = (cr == CR_SUCCESS && (st & DN_HAS_PROBLEM)) ? (uint32_t)prob : 0;
	return (uint32_t)cr;
}

const char *tk__cfgmgr_cr_name(uint32_t cr)
{
	switch (cr) {
	case CR_SUCCESS:
		return "CR_SUCCESS";
	case CR_NO_SUCH_DEVNODE:
		return "CR_NO_SUCH_DEVNODE (the device is not present)";
	case CR_ACCESS_DENIED:
		return "CR_ACCESS_DENIED";
	case CR_INVALID_DEVNODE:
		return "CR_INVALID_DEVNODE";
	default:
		return "CR_(other)";
	}
}
