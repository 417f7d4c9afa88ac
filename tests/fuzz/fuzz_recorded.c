/* SPDX-License-Identifier: MIT */
/*
 * fuzz_recorded: what the doctor reads from Windows' own records (src/windows/recorded.c, pure):
 * an event's XML and a setupapi.dev.log text, both written by other software. The first byte
 * picks the parser, the rest is its input. Properties: parsed fields are NUL-terminated within
 * their arrays; an event verdict is TK_OK or one of its causes and counts no more matches than
 * events; a setupapi section keeps at most TK_SETUPAPI_MAX_FILES files and a failure has an
 * exit text. Nothing is read past the input (it is passed with its exact length).
 */
#include "fuzz.h"

#include "windows/recorded.h"

#include <string.h>

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		static const char *const needles[] = { "tap0901", "oemvista.inf" };
		struct tk_setupapi_section s;
		bool found = tk__recorded_setupapi_last(text, len, needles, 2, &s);
		FUZZ_CHECK(found == s.found);
		FUZZ_CHECK(s.ncopied <= TK_SETUPAPI_MAX_FILES);
		FUZZ_CHECK(TERMINATED(s.header) && TERMINATED(s.start) && TERMINATED(s.exit) &&
			   TERMINATED(s.first_error));
		for (size_t i = 0; i < s.ncopied; i++)
			FUZZ_CHECK(TERMINATED(s.copied[i]));
		FUZZ_CHECK(!s.success || strncmp(s.exit, "SUCCESS", 7) == 0);
		return 0;
	}
	static struct tk_win_event ev[2];
	if (!tk__recorded_event_parse(text, len, &ev[0]))
		return 0;
	FUZZ_CHECK(TERMINATED(ev[0].file) && TERMINATED(ev[0].provider) && TERMINATED(ev[0].time) &&
		   TERMINATED(ev[0].activity) && TERMINATED(ev[0].publisher) &&
		   TERMINATED(ev[0].threat));
	ev[1] = ev[0];
	struct tk_log_verdict v;
	tk__recorded_ci_verdict(ev, 2, "tap0901.sys", &v);
	FUZZ_CHECK(v.matches <= 2);
	FUZZ_CHECK(v.status == TK_OK || v.status == TK_E_DRIVER_UNSIGNED ||
		   v.status == TK_E_DRIVER_BLOCKED);
	FUZZ_CHECK(v.status == TK_OK || (v.summary[0] && v.remedy[0]));
	tk__recorded_defender_verdict(ev, 2, "tap0901.sys", &v);
	FUZZ_CHECK(v.status == TK_OK || v.status == TK_E_SECURITY_SOFTWARE);
	return 0;
}
