/* SPDX-License-Identifier: MIT */
/*
 * The driver's signature as Windows sees it: WinVerifyTrust on the file's embedded signature,
 * and through the catalog admin API (CryptCATAdmin*) on the catalog that lists the file's hash
 * (or the package's own .cat when no installed catalog does). The signer and the chain's root
 * come from the provider data of the verification. No network: revocation is not checked and
 * only cached URLs are used. siglogic.c turns the result into a cause.
 */
#include "win_internal.h"

/* Order matters: wincrypt (left out by WIN32_LEAN_AND_MEAN) before the trust headers. */
#include <wincrypt.h>
/* clang-format off */
#include <wintrust.h>
#include <softpub.h>
#include <mscat.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static void cert_name(PCCERT_CONTEXT cert, char *out, size_t size)
{
	wchar_t w[256];
	out[0] = '\0';
	if (cert && CertGetNameStringW(cert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, NULL, w,
				       TK_ARRAY_SIZE(w)) > 1)
		tk__errmap_narrow(w, out, size);
}

/* One WinVerifyTrust; fills signer, root and the chain's names when a signature was found. */
static uint32_t verify(WINTRUST_DATA *wtd, struct tk_win_sig_one *one)
{
	GUID action = WINTRUST_ACTION_GENERIC_VERIFY_V2;
	wtd->cbStruct = sizeof(*wtd);
	wtd->dwUIChoice = WTD_UI_NONE;
	wtd->fdwRevocationChecks = WTD_REVOKE_NONE;
	wtd->dwStateAction = WTD_STATEACTION_VERIFY;
	wtd->dwProvFlags = WTD_CACHE_ONLY_URL_RETRIEVAL | WTD_REVOCATION_CHECK_NONE;
	LONG rc = WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, &action, wtd);
	one->done = true;
	one->result = (uint32_t)rc;
	CRYPT_PROVIDER_DATA *prov =
		wtd->hWVTStateData ? WTHelperProvDataFromStateData(wtd->hWVTStateData) : NULL;
	CRYPT_PROVIDER_SGNR *sgnr = prov ? WTHelperGetProvSignerFromChain(prov, 0, FALSE, 0) : NULL;
	if (sgnr && sgnr->csCertChain && sgnr->pasCertChain) {
		cert_name(sgnr->pasCertChain[0].pCert, one->signer, sizeof(one->signer));
		cert_name(sgnr->pasCertChain[sgnr->csCertChain - 1].pCert, one->root,
			  sizeof(one->root));
		for (DWORD i = 0; i < sgnr->csCertChain && i < 5; i++) {
			char name[128];
			cert_name(sgnr->pasCertChain[i].pCert, name, sizeof(name));
			size_t used = strlen(one->chain);
			tk__snprintf(one->chain + used, sizeof(one->chain) - used, "%s%s",
				     i ? " > " : "", name[0] ? name : "?");
		}
	}
	wtd->dwStateAction = WTD_STATEACTION_CLOSE;
	WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, &action, wtd);
	return one->result;
}

static void verify_file(const wchar_t *path, struct tk_win_sig_one *one)
{
	WINTRUST_FILE_INFO fi = { .cbStruct = sizeof(fi), .pcwszFilePath = path };
	WINTRUST_DATA wtd = { 0 };
	wtd.dwUnionChoice = WTD_CHOICE_FILE;
	wtd.pFile = &fi;
	verify(&wtd, one);
}

/* The installed catalog that lists the file's hash; false when none does. */
static bool verify_by_catalog(const wchar_t *path, struct tk_win_sig *out)
{
	HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return false;
	HCATADMIN admin = NULL;
	GUID driver = DRIVER_ACTION_VERIFY;
	BYTE hash[64];
	DWORD hlen = sizeof(hash);
	bool found = false;
	if (!CryptCATAdminAcquireContext(&admin, &driver, 0)) {
		CloseHandle(f);
		return false;
	}
	if (CryptCATAdminCalcHashFromFileHandle(f, &hlen, hash, 0)) {
		HCATINFO cat = CryptCATAdminEnumCatalogFromHash(admin, hash, hlen, 0, NULL);
		CATALOG_INFO ci = { .cbStruct = sizeof(ci) };
		if (cat && CryptCATCatalogInfoFromContext(cat, &ci, 0)) {
			wchar_t tag[130];
			for (DWORD i = 0; i < hlen && i < 64; i++)
				swprintf(tag + 2 * i, 3, L"%02X", hash[i]);
			tag[2 * (hlen < 64 ? hlen : 64)] = L'\0';
			WINTRUST_CATALOG_INFO wci = { .cbStruct = sizeof(wci),
						      .pcwszCatalogFilePath = ci.wszCatalogFile,
						      .pcwszMemberTag = tag,
						      .pcwszMemberFilePath = path,
						      .hMemberFile = f,
						      .pbCalculatedFileHash = hash,
						      .cbCalculatedFileHash = hlen };
			WINTRUST_DATA wtd = { 0 };
			wtd.dwUnionChoice = WTD_CHOICE_CATALOG;
			wtd.pCatalog = &wci;
			verify(&wtd, &out->catalog);
			tk__errmap_narrow(ci.wszCatalogFile, out->catalog_path,
					  sizeof(out->catalog_path));
			found = true;
		}
		if (cat)
			CryptCATAdminReleaseCatalogContext(admin, cat, 0);
	}
	CryptCATAdminReleaseContext(admin, 0);
	CloseHandle(f);
	return found;
}

void tk__wintrust_check(const char *file, const char *package_cat, struct tk_win_sig *out)
{
	memset(out, 0, sizeof(*out));
	wchar_t *w = tk__errmap_wide(file);
	if (!w)
		return;
	verify_file(w, &out->file);
	if (!verify_by_catalog(w, out) && package_cat && package_cat[0]) {
		/* No installed catalog lists it: the package's own .cat, as a signed file. */
		wchar_t *c = tk__errmap_wide(package_cat);
		if (c) {
			verify_file(c, &out->catalog);
			tk__strlcpy(out->catalog_path, package_cat, sizeof(out->catalog_path));
			free(c);
		}
	}
	free(w);
}
