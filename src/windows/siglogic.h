/* SPDX-License-Identifier: MIT */
/*
 * The driver's signature and the system's signing rules, combined into one cause with its fix.
 * Pure (no Windows header): wintrust.c reads the signature (WinVerifyTrust, the catalog admin
 * API), codeintegrity.c the rules; tests/unit/test_win_signature.c runs every combination.
 */
#ifndef TK_SIGLOGIC_H
#define TK_SIGLOGIC_H

#include "tapkit.h"

#include <stdbool.h>
#include <stdint.h>

/* What the signature is, from WinVerifyTrust's result and the chain's names. */
enum tk_sig_kind {
	TK_SIG_UNKNOWN = 0,    /* the host cannot tell (no wintrust, no answer) */
	TK_SIG_MICROSOFT,      /* chains to a Microsoft root: WHQL or attestation signed */
	TK_SIG_CROSS_SIGNED,   /* trusted, but a third-party (legacy cross-signed) chain */
	TK_SIG_TEST,	       /* a test certificate (WDK test root, makecert "Test") */
	TK_SIG_UNTRUSTED_ROOT, /* signed, the root is not trusted here */
	TK_SIG_NONE,	       /* no signature at all */
	TK_SIG_INVALID,	       /* the file does not match its signature (damaged, modified) */
	TK_SIG_REVOKED,	       /* revoked or explicitly distrusted */
	TK_SIG__COUNT
};

const char *tk__siglogic_kind_name(enum tk_sig_kind kind);

/*
 * Classifies one WinVerifyTrust answer (an HRESULT; 0 = trusted) with the signer's and the
 * root's names ("" when unknown). `api_ok` false: the call could not be made.
 */
enum tk_sig_kind tk__siglogic_classify(bool api_ok, uint32_t result, const char *signer,
				       const char *root);

/* The rules in force: 1 on, 0 off, -1 the host cannot tell (Wine, missing keys). */
struct tk_sig_facts {
	enum tk_sig_kind kind;
	int testsign;
	int secure_boot;
	int hvci;
};

struct tk_sig_verdict {
	tk_status status; /* TK_OK, TK_E_DRIVER_UNSIGNED or TK_E_DRIVER_BLOCKED */
	bool cannot_tell; /* the host cannot tell whether Windows would load it */
	bool caution;	  /* loads now, but only because a protection is off */
	char summary[TK_ERROR_TEXT_MAX];
	char remedy[TK_ERROR_TEXT_MAX]; /* "" when nothing to do */
};

void tk__siglogic_decide(const struct tk_sig_facts *f, struct tk_sig_verdict *out);

#endif /* TK_SIGLOGIC_H */
