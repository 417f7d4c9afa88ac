/* SPDX-License-Identifier: MIT */
/*
 * Signature verdicts (siglogic.h). The rules, for 64-bit Windows 10 1607 and later: a kernel
 * driver needs a valid signature; with Secure Boot on it must be signed by Microsoft (WHQL or
 * attestation through the Hardware Dev Center), the legacy cross-signed chains (a commercial CA
 * cross-certified by "Microsoft Code Verification Root") are refused; memory integrity (HVCI)
 * refuses them whatever Secure Boot says; test-signed drivers load only with test-signing on
 * (`bcdedit /set testsigning on`, which Secure Boot forbids); an unsigned or modified file
 * never loads; a revoked one is blocked.
 */
#include "siglogic.h"

#include "core/core_internal.h"

#include <string.h>

#define FIX_OFFICIAL                                                                              \
	"install the official TAP-Windows6 from OpenVPN (9.24.2 or later, signed by Microsoft), " \
	"e.g. the OpenVPN installer's TAP component"

static bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

const char *tk__siglogic_kind_name(enum tk_sig_kind kind)
{
	static const char *const names[TK_SIG__COUNT] = {
		[TK_SIG_UNKNOWN] = "unknown",
		[TK_SIG_MICROSOFT] = "Microsoft (WHQL or attestation)",
		[TK_SIG_CROSS_SIGNED] = "cross-signed (legacy third-party chain)",
		[TK_SIG_TEST] = "test certificate",
		[TK_SIG_UNTRUSTED_ROOT] = "untrusted root",
		[TK_SIG_NONE] = "unsigned",
		[TK_SIG_INVALID] = "invalid (the file does not match its signature)",
		[TK_SIG_REVOKED] = "revoked or distrusted",
	};
	return (unsigned)kind < TK_SIG__COUNT ? names[kind] : "unknown";
}

enum tk_sig_kind tk__siglogic_classify(bool api_ok, uint32_t result, const char *signer,
				       const char *root)
{
	if (!api_ok)
		return TK_SIG_UNKNOWN;
	/* A chain of one self-signed certificate (signer = root) outside Microsoft's: what
	 * makecert and test-signing use, and what Windows trusts only as a test certificate. */
	bool self_signed =
		signer && root && signer[0] && strcmp(signer, root) == 0 && !has(root, "Microsoft");
	bool test =
		has(root, "Test") || has(signer, "Test") || has(root, "WDKTestCert") || self_signed;
	switch (result) {
	case 0:
		if (test)
			return TK_SIG_TEST;
		if (has(root, "Microsoft Root") || has(signer, "Microsoft Windows"))
			return TK_SIG_MICROSOFT;
		return TK_SIG_CROSS_SIGNED;
	case 0x800B0100u: /* TRUST_E_NOSIGNATURE */
	case 0x800B0003u: /* TRUST_E_SUBJECT_FORM_UNKNOWN: not a signable file */
	case 0x80092009u: /* CRYPT_E_NO_MATCH */
		return TK_SIG_NONE;
	case 0x80096010u: /* TRUST_E_BAD_DIGEST */
	case 0x80096019u: /* TRUST_E_BASIC_CONSTRAINTS */
	case 0x800B0004u: /* TRUST_E_SUBJECT_NOT_TRUSTED */
		return TK_SIG_INVALID;
	case 0x800B0109u: /* CERT_E_UNTRUSTEDROOT */
	case 0x800B010Au: /* CERT_E_CHAINING */
	case 0x800B0101u: /* CERT_E_EXPIRED */
		return test ? TK_SIG_TEST : TK_SIG_UNTRUSTED_ROOT;
	case 0x800B010Cu: /* CERT_E_REVOKED */
	case 0x800B0111u: /* TRUST_E_EXPLICIT_DISTRUST */
		return TK_SIG_REVOKED;
	default:
		return TK_SIG_UNKNOWN;
	}
}

static void set(struct tk_sig_verdict *v, tk_status st, const char *summary, const char *remedy)
{
	v->status = st;
	tk__strlcpy(v->summary, summary, sizeof(v->summary));
	tk__strlcpy(v->remedy, remedy, sizeof(v->remedy));
}

void tk__siglogic_decide(const struct tk_sig_facts *f, struct tk_sig_verdict *v)
{
	memset(v, 0, sizeof(*v));
	switch (f->kind) {
	case TK_SIG_MICROSOFT:
		set(v, TK_OK, "signed by Microsoft (WHQL or attestation): Windows loads it", "");
		return;
	case TK_SIG_NONE:
		set(v, TK_E_DRIVER_UNSIGNED,
		    "the driver is not signed: 64-bit Windows never loads it (problem 52)",
		    FIX_OFFICIAL);
		return;
	case TK_SIG_INVALID:
		set(v, TK_E_DRIVER_UNSIGNED,
		    "the driver file does not match its signature: it was damaged or modified, and Windows refuses it",
		    "reinstall TAP-Windows6 from OpenVPN; if the file changes again, scan for what modifies it");
		return;
	case TK_SIG_REVOKED:
		set(v, TK_E_DRIVER_BLOCKED,
		    "the driver's certificate is revoked or distrusted: Windows blocks it",
		    FIX_OFFICIAL);
		return;
	case TK_SIG_CROSS_SIGNED:
		if (f->hvci == 1) {
			set(v, TK_E_DRIVER_BLOCKED,
			    "the driver is cross-signed (legacy chain) and memory integrity is on: Windows blocks it (problem 48)",
			    FIX_OFFICIAL
			    "; or turn memory integrity off (Windows Security > Device security > Core isolation)");
			return;
		}
		if (f->secure_boot == 1) {
			set(v, TK_E_DRIVER_UNSIGNED,
			    "the driver is cross-signed (legacy chain) and Secure Boot is on: Windows requires a Microsoft signature (problem 52)",
			    FIX_OFFICIAL);
			return;
		}
		if (f->secure_boot == 0 && f->hvci == 0) {
			set(v, TK_OK,
			    "the driver is cross-signed (legacy chain): it loads only because Secure Boot and memory integrity are off",
			    FIX_OFFICIAL " before turning Secure Boot or memory integrity on");
			v->caution = true;
			return;
		}
		set(v, TK_OK,
		    "the driver is cross-signed (legacy chain): it loads only with Secure Boot and memory integrity off, which this host cannot tell",
		    FIX_OFFICIAL);
		v->cannot_tell = true;
		return;
	case TK_SIG_TEST:
	case TK_SIG_UNTRUSTED_ROOT:
		if (f->testsign == 1) {
			set(v, TK_OK,
			    f->kind == TK_SIG_TEST
				    ? "the driver is test-signed and test-signing is on: it loads on this machine only"
				    : "the driver's root is not trusted, but test-signing is on: it loads on this machine only",
			    "for other machines use the official, Microsoft-signed TAP-Windows6");
			v->caution = true;
			return;
		}
		if (f->testsign == 0) {
			set(v, TK_E_DRIVER_UNSIGNED,
			    f->kind == TK_SIG_TEST
				    ? "the driver is test-signed and test-signing is off: Windows refuses it (problem 52)"
				    : "the driver's signature chains to a root Windows does not trust: Windows refuses it (problem 52)",
			    f->secure_boot == 1 ? FIX_OFFICIAL
				    "; a self-built driver needs Secure Boot off and `bcdedit /set testsigning on`, then a restart"
						: FIX_OFFICIAL
				    "; a self-built driver needs `bcdedit /set testsigning on` (elevated) and a restart");
			return;
		}
		set(v, TK_OK,
		    "the driver is test-signed or chains to an untrusted root: it loads only with test-signing on, which this host cannot tell",
		    FIX_OFFICIAL);
		v->cannot_tell = true;
		return;
	case TK_SIG_UNKNOWN:
	case TK_SIG__COUNT:
		break;
	}
	set(v, TK_OK, "this host cannot verify the driver's signature", "");
	v->cannot_tell = true;
}
