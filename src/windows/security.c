/* SPDX-License-Identifier: MIT */
/*
 * Security products registered with Windows Security Center, read through WMI
 * (root\SecurityCenter2, AntiVirusProduct and FirewallProduct: client editions only; servers
 * have no such namespace). Mingw-w64 has no iwscapi.h, and WMI gives the same list. The doctor
 * names them when a block by such a product is likely (an elevated open refused, a driver
 * blocked).
 */
#include "win_internal.h"

#define COBJMACROS
#include <objbase.h>
#include <oleauto.h>
#include <wbemcli.h>

#include <string.h>

/* wbemcli.h declares these; the GUIDs live in libwbemuuid, which we avoid linking. */
static const CLSID tk_clsid_wbem_locator = {
	0x4590f811, 0x1d3a, 0x11d0, { 0x89, 0x1f, 0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24 }
};
static const IID tk_iid_wbem_locator = {
	0xdc12a687, 0x737f, 0x11cf, { 0x88, 0x4d, 0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24 }
};

static void query(IWbemServices *svc, const wchar_t *wql, const char *kind,
		  struct tk_win_security *out)
{
	IEnumWbemClassObject *en = NULL;
	BSTR lang = SysAllocString(L"WQL"), q = SysAllocString(wql);
	HRESULT hr = (lang && q) ? IWbemServices_ExecQuery(svc, lang, q,
							   WBEM_FLAG_FORWARD_ONLY |
								   WBEM_FLAG_RETURN_IMMEDIATELY,
							   NULL, &en)
				 : E_OUTOFMEMORY;
	SysFreeString(lang);
	SysFreeString(q);
	if (FAILED(hr))
		return;
	/* Bounded in count and time: 5 s per object, at most the array's size. */
	while (out->count < TK_ARRAY_SIZE(out->products)) {
		IWbemClassObject *obj = NULL;
		ULONG got = 0;
		if (IEnumWbemClassObject_Next(en, 5000, 1, &obj, &got) != WBEM_S_NO_ERROR || !got)
			break;
		struct tk_win_product *p = &out->products[out->count];
		memset(p, 0, sizeof(*p));
		VARIANT v;
		VariantInit(&v);
		if (SUCCEEDED(IWbemClassObject_Get(obj, L"displayName", 0, &v, NULL, NULL)) &&
		    v.vt == VT_BSTR && v.bstrVal)
			tk__errmap_narrow(v.bstrVal, p->name, sizeof(p->name));
		VariantClear(&v);
		if (SUCCEEDED(IWbemClassObject_Get(obj, L"productState", 0, &v, NULL, NULL)) &&
		    (v.vt == VT_I4 || v.vt == VT_UI4))
			p->state = (uint32_t)v.lVal;
		VariantClear(&v);
		tk__strlcpy(p->kind, kind, sizeof(p->kind));
		IWbemClassObject_Release(obj);
		if (p->name[0])
			out->count++;
	}
	IEnumWbemClassObject_Release(en);
}

void tk__security_products(struct tk_win_security *out)
{
	memset(out, 0, sizeof(*out));
	HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
	bool uninit = SUCCEEDED(hr); /* S_FALSE too: balanced by CoUninitialize */
	if (FAILED(hr) && hr != RPC_E_CHANGED_MODE) {
		out->hr = (uint32_t)hr;
		return;
	}
	IWbemLocator *loc = NULL;
	IWbemServices *svc = NULL;
	hr = CoCreateInstance(&tk_clsid_wbem_locator, NULL, CLSCTX_INPROC_SERVER,
			      &tk_iid_wbem_locator, (void **)&loc);
	BSTR ns = SysAllocString(L"ROOT\\SecurityCenter2");
	if (SUCCEEDED(hr))
		hr = ns ? IWbemLocator_ConnectServer(loc, ns, NULL, NULL, NULL, 0, NULL, NULL, &svc)
			: E_OUTOFMEMORY;
	SysFreeString(ns);
	if (SUCCEEDED(hr))
		hr = CoSetProxyBlanket((IUnknown *)svc, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
				       RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IMPERSONATE, NULL,
				       EOAC_NONE);
	if (SUCCEEDED(hr)) {
		out->available = true;
		query(svc, L"SELECT displayName, productState FROM AntiVirusProduct", "antivirus",
		      out);
		query(svc, L"SELECT displayName, productState FROM FirewallProduct", "firewall",
		      out);
	} else {
		out->hr = (uint32_t)hr;
	}
	if (svc)
		IWbemServices_Release(svc);
	if (loc)
		IWbemLocator_Release(loc);
	if (uninit)
		CoUninitialize();
}
