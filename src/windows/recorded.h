/* SPDX-License-Identifier: MIT */
/*
 * What Windows recorded about the TAP driver, read as text: events of the CodeIntegrity and
 * Defender operational logs (the XML EvtRender gives) and the sections of setupapi.dev.log. Pure
 * parsers and verdicts, no Windows header: unit-tested on committed fixtures on Linux and under
 * Wine (tests/unit/test_win_recorded.c), since Wine's event log is a stub. eventlog.c and
 * checks.c feed them on Windows.
 */
#ifndef TK_RECORDED_H
#define TK_RECORDED_H

#include "tapkit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- event log records ---- */
struct tk_win_event {
	uint32_t id;
	char provider[80];
	char time[40];	   /* TimeCreated SystemTime */
	char activity[48]; /* Correlation ActivityID: links a 3089 to its 3033/3077/3004 */
	char file[300];	   /* CodeIntegrity FileNameBuffer / Defender Path */
	char process[300]; /* CodeIntegrity ProcessNameBuffer / Defender Process Name */
	char status[24];   /* CodeIntegrity Status (an NTSTATUS as text) */
	char publisher[128], issuer[128];	    /* 3089: PublisherName, IssuerName */
	char threat[128], action[64], severity[32]; /* Defender */
	uint32_t requested, validated;		    /* CodeIntegrity signing levels */
};

/*
 * Parses one rendered event (<Event ...><System>...</System><EventData>...</EventData></Event>).
 * False when there is no EventID. Values are XML-unescaped and truncated to their fields.
 */
bool tk__recorded_event_parse(const char *xml, size_t len, struct tk_win_event *out);

/* The verdict over what a log said about one driver file. */
struct tk_log_verdict {
	tk_status status; /* TK_OK when nothing names the file */
	size_t matches;	  /* events naming the file */
	uint32_t id;	  /* the most recent one's id */
	char time[40];
	char summary[TK_ERROR_TEXT_MAX];
	char remedy[TK_ERROR_TEXT_MAX];
	char signer[TK_ERROR_TEXT_MAX]; /* from a 3089 with the same activity, "" if none */
};

/*
 * CodeIntegrity/Operational: events newest first; `driver` the file's base name (tap0901.sys).
 * 3004: unsigned (no hash found) and 3033: not Microsoft-signed, both TK_E_DRIVER_UNSIGNED;
 * 3077: a code integrity policy (WDAC, S mode) and 3023: revoked/blocklisted, TK_E_DRIVER_BLOCKED.
 * 3089 lends its signer to the event with its activity id.
 */
void tk__recorded_ci_verdict(const struct tk_win_event *ev, size_t n, const char *driver,
			     struct tk_log_verdict *out);
/* Windows Defender/Operational: 1006/1116 detected, 1007/1117 acted, 1008/1118/1119 failed:
 * TK_E_SECURITY_SOFTWARE naming the threat and the action. */
void tk__recorded_defender_verdict(const struct tk_win_event *ev, size_t n, const char *driver,
				   struct tk_log_verdict *out);

/* ---- setupapi.dev.log ---- */
#define TK_SETUPAPI_MAX_FILES 8
struct tk_setupapi_section {
	bool found;
	char header[200]; /* ">>>  [Device Install ...]" without the marks */
	char start[40];	  /* Section start time */
	char exit[48];	  /* "SUCCESS", "FAILURE(0xe0000247)", "" when the section did not end */
	bool success;
	uint32_t error;			     /* the FAILURE code, 0 if none */
	char first_error[TK_ERROR_TEXT_MAX]; /* the first "!!!" line */
	size_t ncopied;
	char copied[TK_SETUPAPI_MAX_FILES][300]; /* destinations of "Copying 'X' to 'Y'" lines */
};

/*
 * The last section of a setupapi.dev.log text whose header or body mentions one of the needles
 * (case-insensitive: "tap0901", "oemvista.inf"). Bounded; a final section the log ends inside
 * (an install cut off) is still reported.
 */
bool tk__recorded_setupapi_last(const char *text, size_t len, const char *const *needles,
				size_t nneedles, struct tk_setupapi_section *out);

/* ---- the tap0901 service's last exit code ---- */
/*
 * Fills cause with what a last exit code (SERVICE_STATUS.dwWin32ExitCode) means for the driver
 * service; false for 0 and 1077 (never started), which are not failures.
 */
struct tk_win_cause;
bool tk__recorded_exit_cause(uint32_t code, struct tk_win_cause *out);

#endif /* TK_RECORDED_H */
