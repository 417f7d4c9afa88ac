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

uint32_t tk__cfgmgr_set_enabled(DWORD devinst, bool enable)
{
	return (uint32_t)(enable ? CM_Enable_DevNode(devinst, 0)
				 : CM_Disable_DevNode(devinst, CM_DISABLE_UI_NOT_OK));
}
