/* SPDX-License-Identifier: MIT */
/*
 * Parsers and verdicts for what Windows recorded (recorded.h). The inputs come from outside
 * tapkit (an event's XML, a log file), so every scan is bounded by the input's length and every
 * copy by its field; nothing here allocates.
 */
#include "recorded.h"

#include "core/core_internal.h"
#include "winlogic.h"

#include <stdio.h>
#include <string.h>

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Index of needle in hay[0..n) (case-insensitive when ci), or n. */
static size_t find(const char *hay, size_t n, const char *needle, bool ci)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k && k <= n && i <= n - k; i++) {
		size_t j = 0;
		while (j < k &&
		       (ci ? lower(hay[i + j]) == lower(needle[j]) : hay[i + j] == needle[j]))
			j++;
		if (j == k)
			return i;
	}
	return n;
}

/* Copies s[0..n) into out, decoding the five XML entities and numeric ASCII ones. */
static void unescape(const char *s, size_t n, char *out, size_t size)
{
	static const struct {
		const char *ent;
		char ch;
	} ents[] = { { "&amp;", '&' },
		     { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&quot;", '"' },
		     { "&apos;", '\'' } };
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size;) {
		char ch = s[i];
		size_t used = 1;
		if (ch == '&') {
			for (size_t e = 0; e < TK_ARRAY_SIZE(ents); e++) {
				size_t k = strlen(ents[e].ent);
				if (n - i >= k && memcmp(s + i, ents[e].ent, k) == 0) {
					ch = ents[e].ch;
					used = k;
					break;
				}
			}
		}
		out[o++] = ch;
		i += used;
	}
	if (size)
		out[o] = '\0';
}

/* The text of element <tag ...>TEXT</tag> (first one), unescaped. */
static bool element_text(const char *x, size_t n, const char *tag, char *out, size_t size)
{
	char open[48];
	tk__snprintf(open, sizeof(open), "<%s", tag);
	size_t at = 0;
	while (at < n) {
		size_t i = find(x + at, n - at, open, false);
		if (i == n - at)
			return false;
		size_t p = at + i + strlen(open);
		if (p < n && (x[p] == '>' || x[p] == ' ')) {
			size_t gt = p + find(x + p, n - p, ">", false);
			if (gt >= n || x[gt - 1] == '/')
				return false;
			size_t end = gt + 1 + find(x + gt + 1, n - gt - 1, "</", false);
			unescape(x + gt + 1, end - gt - 1, out, size);
			return true;
		}
		at = p;
	}
	return false;
}

/* The value of attr="..." in the first <tag ...> element. */
static bool element_attr(const char *x, size_t n, const char *tag, const char *attr, char *out,
			 size_t size)
{
	char open[48], key[48];
	tk__snprintf(open, sizeof(open), "<%s ", tag);
	tk__snprintf(key, sizeof(key), " %s=", attr);
	size_t i = find(x, n, open, false);
	if (i == n)
		return false;
	size_t gt = i + find(x + i, n - i, ">", false);
	size_t a = i + find(x + i, gt - i, key, false);
	if (a >= gt)
		return false;
	size_t q = a + strlen(key);
	if (q >= gt || (x[q] != '"' && x[q] != '\''))
		return false;
	size_t end = q + 1;
	while (end < gt && x[end] != x[q])
		end++;
	unescape(x + q + 1, end - q - 1, out, size);
	return true;
}

/* <Data Name="NAME">VALUE</Data> */
static bool data_value(const char *x, size_t n, const char *name, char *out, size_t size)
{
	char key[80];
	tk__snprintf(key, sizeof(key), "<Data Name=\"%s\"", name);
	size_t i = find(x, n, key, false);
	if (i == n)
		return false;
	size_t p = i + strlen(key);
	while (p < n && x[p] == ' ')
		p++;
	if (p >= n || x[p] != '>') {
		if (size)
			out[0] = '\0';
		return p < n && x[p] == '/';
	}
	size_t end = p + 1 + find(x + p + 1, n - p - 1, "</Data>", false);
	unescape(x + p + 1, end - p - 1, out, size);
	return true;
}

static uint32_t to_u32(const char *s)
{
	uint32_t v = 0;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	for (const char *p = s + (hex ? 2 : 0); *p; p++) {
		int d = tk__hex_value(*p);
		if (d < 0 || (!hex && d > 9))
			break;
		v = v * (hex ? 16u : 10u) + (uint32_t)d;
	}
	return v;
}

bool tk__recorded_event_parse(const char *xml, size_t len, struct tk_win_event *out)
{
	memset(out, 0, sizeof(*out));
	char buf[32];
	if (!xml || !element_text(xml, len, "EventID", buf, sizeof(buf)) || !buf[0])
		return false;
	out->id = to_u32(buf);
	element_attr(xml, len, "Provider", "Name", out->provider, sizeof(out->provider));
	element_attr(xml, len, "TimeCreated", "SystemTime", out->time, sizeof(out->time));
	element_attr(xml, len, "Correlation", "ActivityID", out->activity, sizeof(out->activity));
	if (!data_value(xml, len, "FileNameBuffer", out->file, sizeof(out->file)))
		data_value(xml, len, "Path", out->file, sizeof(out->file));
	if (!data_value(xml, len, "ProcessNameBuffer", out->process, sizeof(out->process)))
		data_value(xml, len, "Process Name", out->process, sizeof(out->process));
	data_value(xml, len, "Status", out->status, sizeof(out->status));
	data_value(xml, len, "PublisherName", out->publisher, sizeof(out->publisher));
	data_value(xml, len, "IssuerName", out->issuer, sizeof(out->issuer));
	data_value(xml, len, "Threat Name", out->threat, sizeof(out->threat));
	data_value(xml, len, "Action Name", out->action, sizeof(out->action));
	data_value(xml, len, "Severity Name", out->severity, sizeof(out->severity));
	if (data_value(xml, len, "RequestedPolicy", buf, sizeof(buf)))
		out->requested = to_u32(buf);
	if (data_value(xml, len, "ValidatedPolicy", buf, sizeof(buf)))
		out->validated = to_u32(buf);
	return true;
}

/* True if path names the file `driver` (its last component, case-insensitive); Defender's
 * Path may list several "file:_C:\...;file:_..." entries. */
static bool names_file(const char *path, const char *driver)
{
	size_t n = strlen(path), k = strlen(driver);
	for (size_t at = 0; k && at < n;) {
		size_t i = at + find(path + at, n - at, driver, true);
		if (i >= n)
			return false;
		bool start = i == 0 || path[i - 1] == '\\' || path[i - 1] == '/' ||
			     path[i - 1] == '_' || path[i - 1] == ':';
		bool end = i + k == n || path[i + k] == ';' || path[i + k] == ' ';
		if (start && end)
			return true;
		at = i + 1;
	}
	return false;
}

static void verdict_init(struct tk_log_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->status = TK_OK;
}

void tk__recorded_ci_verdict(const struct tk_win_event *ev, size_t n, const char *driver,
			     struct tk_log_verdict *out)
{
	verdict_init(out);
	const struct tk_win_event *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].id == 3089 || !names_file(ev[i].file, driver))
			continue;
		if (ev[i].id != 3004 && ev[i].id != 3033 && ev[i].id != 3077 && ev[i].id != 3023)
			continue;
		out->matches++;
		if (!hit)
			hit = &ev[i]; /* newest first */
	}
	if (!hit) {
		tk__snprintf(out->summary, sizeof(out->summary),
			     "no blocked or unverified load of %s is recorded", driver);
		return;
	}
	out->id = hit->id;
	tk__strlcpy(out->time, hit->time, sizeof(out->time));
	for (size_t i = 0; i < n && hit->activity[0]; i++)
		if (ev[i].id == 3089 && strcmp(ev[i].activity, hit->activity) == 0 &&
		    ev[i].publisher[0]) {
			tk__snprintf(out->signer, sizeof(out->signer), "%s (issued by %s)",
				     ev[i].publisher, ev[i].issuer[0] ? ev[i].issuer : "?");
			break;
		}
	const char *signer = out->signer[0] ? out->signer : "no signer recorded";
	switch (hit->id) {
	case 3004:
		out->status = TK_E_DRIVER_UNSIGNED;
		tk__snprintf(
			out->summary, sizeof(out->summary),
			"Windows could not verify %s's signature when it was loaded (event 3004, %s: no valid hash or signature)",
			driver, hit->time);
		tk__strlcpy(
			out->remedy,
			"reinstall the official TAP-Windows6 from OpenVPN (a damaged or modified tap0901.sys fails this check); a self-built driver needs test-signing (`bcdedit /set testsigning on`)",
			sizeof(out->remedy));
		break;
	case 3033:
		out->status = TK_E_DRIVER_UNSIGNED;
		tk__snprintf(
			out->summary, sizeof(out->summary),
			"%s did not meet the Microsoft signing level Windows requires (event 3033, %s; signer: %s)",
			driver, hit->time, signer);
		tk__strlcpy(
			out->remedy,
			"install a TAP-Windows6 release signed by Microsoft (attestation or WHQL: 9.24.2 or later from OpenVPN); cross-signed builds do not load with Secure Boot or memory integrity on",
			sizeof(out->remedy));
		break;
	default: /* 3077, 3023 */
		out->status = TK_E_DRIVER_BLOCKED;
		tk__snprintf(
			out->summary, sizeof(out->summary),
			"%s was blocked by %s (event %u, %s; signer: %s)", driver,
			hit->id == 3023
				? "the vulnerable driver blocklist (the driver is revoked)"
				: "a code integrity policy (WDAC, S mode or the driver blocklist)",
			(unsigned)hit->id, hit->time, signer);
		tk__strlcpy(
			out->remedy,
			hit->id == 3023
				? "update to the current TAP-Windows6 release, whose version is not on the blocklist"
				: "ask the administrator to allow the TAP-Windows6 driver in the code integrity (WDAC) policy, or leave S mode",
			sizeof(out->remedy));
		break;
	}
}

void tk__recorded_defender_verdict(const struct tk_win_event *ev, size_t n, const char *driver,
				   struct tk_log_verdict *out)
{
	static const uint32_t ids[] = { 1006, 1007, 1008, 1015, 1116, 1117, 1118, 1119 };
	verdict_init(out);
	const struct tk_win_event *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		for (size_t k = 0; k < TK_ARRAY_SIZE(ids); k++)
			known = known || ev[i].id == ids[k];
		if (!known || !names_file(ev[i].file, driver))
			continue;
		out->matches++;
		if (!hit)
			hit = &ev[i];
	}
	if (!hit) {
		tk__snprintf(out->summary, sizeof(out->summary),
			     "Microsoft Defender recorded no detection of %s", driver);
		return;
	}
	out->status = TK_E_SECURITY_SOFTWARE;
	out->id = hit->id;
	tk__strlcpy(out->time, hit->time, sizeof(out->time));
	tk__snprintf(out->summary, sizeof(out->summary),
		     "Microsoft Defender detected %s in %s (event %u, %s%s%s)",
		     hit->threat[0] ? hit->threat : "a threat", driver, (unsigned)hit->id,
		     hit->time, hit->action[0] ? ", action: " : "", hit->action);
	tk__strlcpy(
		out->remedy,
		"if this is the official TAP-Windows6 driver it is a false positive: restore it (Windows Security > Protection history > Restore), add an exclusion for it and report the file to Microsoft; otherwise reinstall TAP-Windows6 from openvpn.net",
		sizeof(out->remedy));
}

/* ---- setupapi.dev.log ---- */

static void section_begin(struct tk_setupapi_section *s, const char *line, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->found = true;
	size_t a = find(line, n, "[", false), b = n;
	while (b > a && line[b - 1] != ']')
		b--;
	if (a < n && b > a + 1)
		unescape(line + a + 1, b - a - 2, s->header, sizeof(s->header));
	else
		unescape(line, n, s->header, sizeof(s->header));
}

static void section_line(struct tk_setupapi_section *s, const char *line, size_t n)
{
	size_t i;
	if ((i = find(line, n, "Section start ", false)) < n) {
		i += strlen("Section start ");
		unescape(line + i, n - i, s->start, sizeof(s->start));
		return;
	}
	if ((i = find(line, n, "[Exit status: ", false)) < n) {
		i += strlen("[Exit status: ");
		size_t e = i;
		while (e < n && line[e] != ']')
			e++;
		unescape(line + i, e - i, s->exit, sizeof(s->exit));
		s->success = strncmp(s->exit, "SUCCESS", 7) == 0;
		size_t h = find(s->exit, strlen(s->exit), "(0x", false);
		if (h < strlen(s->exit))
			s->error = to_u32(s->exit + h + 1);
		return;
	}
	if (!s->first_error[0] && n >= 3 && memcmp(line, "!!!", 3) == 0) {
		size_t p = 3;
		while (p < n && line[p] == ' ')
			p++;
		unescape(line + p, n - p, s->first_error, sizeof(s->first_error));
	}
	/* flq: Copying 'SRC' to 'DST'. */
	if ((i = find(line, n, "Copying '", false)) < n && s->ncopied < TK_SETUPAPI_MAX_FILES) {
		size_t to = i + find(line + i, n - i, "' to '", false);
		if (to >= n)
			return;
		size_t d = to + 6, e = d;
		while (e < n && line[e] != '\'')
			e++;
		if (e < n)
			unescape(line + d, e - d, s->copied[s->ncopied++], sizeof(s->copied[0]));
	}
}

static bool mentions(const char *line, size_t n, const char *const *needles, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (find(line, n, needles[i], true) < n)
			return true;
	return false;
}

bool tk__recorded_setupapi_last(const char *text, size_t len, const char *const *needles,
				size_t nneedles, struct tk_setupapi_section *out)
{
	struct tk_setupapi_section cur;
	bool in = false, match = false;
	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	for (size_t at = 0; text && at < len;) {
		size_t e = at;
		while (e < len && text[e] != '\n')
			e++;
		size_t n = e - at;
		while (n && (text[at + n - 1] == '\r'))
			n--;
		const char *line = text + at;
		if (n >= 3 && memcmp(line, ">>>", 3) == 0 && find(line, n, "[", false) < n &&
		    find(line, n, "Section start", false) == n) {
			if (in && match)
				*out = cur;
			section_begin(&cur, line, n);
			in = true;
			match = mentions(line, n, needles, nneedles);
		} else if (in) {
			if (!match && mentions(line, n, needles, nneedles))
				match = true;
			section_line(&cur, line, n);
			if (n >= 3 && memcmp(line, "<<<", 3) == 0 && cur.exit[0]) {
				if (match)
					*out = cur;
				in = false;
			}
		}
		at = e + 1;
	}
	if (in && match)
		*out = cur; /* the log ends inside it (the install was cut off) */
	return out->found;
}

bool tk__recorded_exit_cause(uint32_t code, struct tk_win_cause *out)
{
	if (code == TK_WIN_ERROR_SUCCESS || code == TK_WIN_ERROR_SERVICE_NEVER_STARTED)
		return false;
	tk__winlogic_map_win32(TK_WIN_OP_SERVICE, code, out);
	return true;
}
