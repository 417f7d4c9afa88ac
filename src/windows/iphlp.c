/* SPDX-License-Identifier: MIT */
/*
 * IP Helper: the adapter as TCP/IP sees it (interface index, MAC, MTU, link state, addresses)
 * and the changes OpenVPN makes without netsh: the MTU (SetIpInterfaceEntry NlMtu; the driver's
 * own MTU registry value does not change what Windows uses) and unicast addresses.
 */
#include "win_internal.h"

#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <string.h>

static DWORD guid_to_luid(const char *guid, NET_LUID *luid)
{
	struct tk_guid g;
	if (!tk__winlogic_guid_parse(guid, &g))
		return ERROR_INVALID_PARAMETER;
	GUID wg;
	wg.Data1 = g.data1;
	wg.Data2 = g.data2;
	wg.Data3 = g.data3;
	memcpy(wg.Data4, g.data4, sizeof(wg.Data4));
	return ConvertInterfaceGuidToLuid(&wg, luid);
}

static const char *oper_name(IF_OPER_STATUS s)
{
	switch (s) {
	case IfOperStatusUp:
		return "up";
	case IfOperStatusDown:
		return "down";
	case IfOperStatusTesting:
		return "testing";
	case IfOperStatusDormant:
		return "dormant";
	case IfOperStatusNotPresent:
		return "notpresent";
	case IfOperStatusLowerLayerDown:
		return "lowerlayerdown";
	default:
		return "unknown";
	}
}

void tk__iphlp_annotate(const char *guid, tk_adapter_info *info)
{
	NET_LUID luid;
	tk__strlcpy(info->operstate, "unknown", sizeof(info->operstate));
	if (guid_to_luid(guid, &luid) != NO_ERROR)
		return; /* TCP/IP does not know it (disabled, not bound, or Wine) */
	MIB_IF_ROW2 row;
	memset(&row, 0, sizeof(row));
	row.InterfaceLuid = luid;
	if (GetIfEntry2(&row) == NO_ERROR) {
		info->ifindex = (uint32_t)row.InterfaceIndex;
		info->mtu = (uint32_t)row.Mtu;
		if (row.PhysicalAddressLength == TK_MAC_LEN)
			memcpy(info->mac, row.PhysicalAddress, TK_MAC_LEN);
		tk__strlcpy(info->operstate, oper_name(row.OperStatus), sizeof(info->operstate));
		if (row.AdminStatus == NET_IF_ADMIN_STATUS_UP)
			info->flags |= TK_ADAPTER_UP;
		if (row.MediaConnectState == MediaConnectStateConnected)
			info->flags |= TK_ADAPTER_CARRIER;
		if (row.OperStatus == IfOperStatusUp)
			info->flags |= TK_ADAPTER_RUNNING;
	}
	MIB_UNICASTIPADDRESS_TABLE *table = NULL;
	if (GetUnicastIpAddressTable(AF_UNSPEC, &table) != NO_ERROR)
		return;
	for (ULONG i = 0; i < table->NumEntries && info->naddrs < TK_MAX_ADDRS; i++) {
		MIB_UNICASTIPADDRESS_ROW *r = &table->Table[i];
		if (r->InterfaceLuid.Value != luid.Value)
			continue;
		tk_ip_addr *a = &info->addrs[info->naddrs];
		memset(a, 0, sizeof(*a));
		a->prefix = r->OnLinkPrefixLength;
		if (r->Address.si_family == AF_INET) {
			a->family = 4;
			memcpy(a->bytes, &r->Address.Ipv4.sin_addr, 4);
		} else if (r->Address.si_family == AF_INET6) {
			a->family = 6;
			memcpy(a->bytes, &r->Address.Ipv6.sin6_addr, 16);
		} else {
			continue;
		}
		info->naddrs++;
	}
	FreeMibTable(table);
}

tk_status tk__iphlp_set_mtu(tk_ctx *ctx, const char *guid, const char *object, uint32_t mtu,
			    tk_error *err)
{
	NET_LUID luid;
	DWORD rc = guid_to_luid(guid, &luid);
	if (rc != NO_ERROR)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, "set mtu", object, rc,
					"TCP/IP does not know this adapter");
	int done = 0;
	const ADDRESS_FAMILY fams[] = { AF_INET, AF_INET6 };
	for (size_t i = 0; i < TK_ARRAY_SIZE(fams); i++) {
		MIB_IPINTERFACE_ROW row;
		InitializeIpInterfaceEntry(&row);
		row.Family = fams[i];
		row.InterfaceLuid = luid;
		rc = GetIpInterfaceEntry(&row);
		if (rc == ERROR_NOT_FOUND)
			continue; /* this IP version is not bound to the adapter */
		if (rc != NO_ERROR)
			return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, "set mtu", object, rc,
						"cannot read the IP interface");
		row.NlMtu = mtu;
		/* SetIpInterfaceEntry rejects IPv4 rows whose SitePrefixLength is not 0
		 * (documented on MIB_IPINTERFACE_ROW). */
		if (fams[i] == AF_INET)
			row.SitePrefixLength = 0;
		rc = SetIpInterfaceEntry(&row);
		if (rc != NO_ERROR)
			return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, "set mtu", object, rc,
						fams[i] == AF_INET ? "cannot set the IPv4 MTU"
								   : "cannot set the IPv6 MTU");
		done++;
	}
	if (!done)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, "set mtu", object,
					ERROR_NOT_FOUND,
					"neither IPv4 nor IPv6 is bound to the adapter");
	return TK_OK;
}

tk_status tk__iphlp_addr(tk_ctx *ctx, const char *guid, const char *object, const tk_ip_addr *addr,
			 bool add, tk_error *err)
{
	const char *op = add ? "add address" : "delete address";
	NET_LUID luid;
	DWORD rc = guid_to_luid(guid, &luid);
	if (rc != NO_ERROR)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, op, object, rc,
					"TCP/IP does not know this adapter");
	MIB_UNICASTIPADDRESS_ROW row;
	InitializeUnicastIpAddressEntry(&row);
	row.InterfaceLuid = luid;
	if (addr->family == 4) {
		row.Address.si_family = AF_INET;
		memcpy(&row.Address.Ipv4.sin_addr, addr->bytes, 4);
	} else {
		row.Address.si_family = AF_INET6;
		memcpy(&row.Address.Ipv6.sin6_addr, addr->bytes, 16);
	}
	row.OnLinkPrefixLength = addr->prefix;
	row.DadState = IpDadStatePreferred;
	rc = add ? CreateUnicastIpAddressEntry(&row) : DeleteUnicastIpAddressEntry(&row);
	if (rc != NO_ERROR)
		return tk__errmap_win32(ctx, err, TK_WIN_OP_IPHLP, op, object, rc,
					add ? "cannot add the address"
					    : "cannot delete the address");
	return TK_OK;
}
