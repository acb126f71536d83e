/*
 * The kernel's text trace format, one line at a time:
 *
 *   <comm>-<pid> [(<tgid>)] [<cpu>] [<irq flags>] <secs>.<usecs>: <event>: <body>
 *
 * The comm may hold spaces and dashes, the tgid column appears with
 * options/record-tgid and the flags column with options/irq-info (both
 * optional), so the line is anchored on the "[cpu]" field, not on columns.
 */
#include "tracefs/tracefs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tracefs_status_name(enum tracefs_status s)
{
	switch (s) {
	case TRACEFS_OK: return "ok";
	case TRACEFS_ENOTRACEFS: return "no tracefs";
	case TRACEFS_ENOKPROBES: return "no kprobe events";
	case TRACEFS_ENOTRACEPOINT: return "missing KVM tracepoints";
	case TRACEFS_ENOSYMBOL: return "missing probe point";
	case TRACEFS_EBUSY: return "tracefs instance or group in use";
	case TRACEFS_EIO: return "tracefs I/O error";
	case TRACEFS_EPARSE: return "malformed trace text";
	case TRACEFS_ENOMEM: return "out of memory";
	}
	return "unknown tracefs status";
}

int tracefs_exit_code(enum tracefs_status s)
{
	return s == TRACEFS_OK ? 0 : 1;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "[<digits>]" at P: the CPU field. Returns the char after ']' or NULL. */
static const char *cpu_field(const char *p, int *cpu)
{
	if (*p != '[' || !isdigit((unsigned char)p[1]))
		return NULL;
	char *end;
	long v = strtol(p + 1, &end, 10);
	if (*end != ']' || v < 0 || v > 65535)
		return NULL;
	*cpu = (int)v;
	return end + 1;
}

/*
 * Between the line start and the CPU field: "<comm>-<pid>", maybe followed
 * by "(<tgid>)". END points at the '[' of the CPU field.
 */
static bool task_field(const char *start, const char *end, struct tracefs_event *ev)
{
	const char *p = end;
	while (p > start && p[-1] == ' ')
		p--;
	if (p > start && p[-1] == ')') { /* record-tgid column */
		while (p > start && p[-1] != '(')
			p--;
		if (p == start)
			return false;
		p--;
		while (p > start && p[-1] == ' ')
			p--;
	}
	const char *digits_end = p;
	while (p > start && isdigit((unsigned char)p[-1]))
		p--;
	if (p == digits_end || p == start || p[-1] != '-')
		return false;
	ev->pid = (pid_t)strtol(p, NULL, 10);
	const char *comm = skip_spaces(start);
	ev->comm = comm;
	ev->comm_len = (size_t)(p - 1 - comm);
	return p - 1 >= comm;
}

/* "<secs>.<fraction>:" (or a bare counter "<n>:") into nanoseconds. */
static const char *timestamp(const char *p, uint64_t *ns)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	char *end;
	unsigned long long secs = strtoull(p, &end, 10);
	uint64_t frac = 0;
	if (*end == '.') {
		const char *f = end + 1;
		int digits = 0;
		while (isdigit((unsigned char)*f)) {
			if (digits < 9) {
				frac = frac * 10 + (uint64_t)(*f - '0');
				digits++;
			}
			f++;
		}
		if (digits == 0)
			return NULL;
		for (; digits < 9; digits++)
			frac *= 10;
		end = (char *)f;
		*ns = (uint64_t)secs * 1000000000ull + frac;
	} else {
		*ns = secs; /* a clock that counts, not in ns ("counter") */
	}
	if (*end != ':')
		return NULL;
	return end + 1;
}

static bool lost_marker(const char *p)
{
	return !strncmp(p, "CPU:", 4) && strstr(p, "[LOST ") && strstr(p, " EVENTS]");
}

enum tracefs_line tracefs_parse_line(const char *line, struct tracefs_event *ev)
{
	const char *p = skip_spaces(line);
	if (*p == '\0' || *p == '\n' || *p == '#')
		return TRACEFS_LINE_SKIP;
	if (lost_marker(p))
		return TRACEFS_LINE_LOST;
	memset(ev, 0, sizeof(*ev));

	/* The CPU field: the first " [digits]" on the line. */
	const char *after_cpu = NULL, *bracket = p;
	while ((bracket = strchr(bracket, '[')) != NULL) {
		if (bracket > p && bracket[-1] == ' ' && (after_cpu = cpu_field(bracket, &ev->cpu)))
			break;
		bracket++;
	}
	if (!after_cpu || !task_field(p, bracket, ev))
		return TRACEFS_LINE_BAD;

	/* Flags column (optional), then the timestamp. */
	const char *q = skip_spaces(after_cpu);
	const char *r = timestamp(q, &ev->ts_ns);
	if (!r) {
		q = strchr(q, ' ');
		if (!q)
			return TRACEFS_LINE_BAD;
		r = timestamp(skip_spaces(q), &ev->ts_ns);
		if (!r)
			return TRACEFS_LINE_BAD;
	}

	/* Event name up to ':', then the body. */
	q = skip_spaces(r);
	size_t n = strcspn(q, ": \n");
	if (n == 0 || n >= sizeof(ev->name) || q[n] != ':')
		return TRACEFS_LINE_BAD;
	memcpy(ev->name, q, n);
	ev->name[n] = '\0';
	ev->body = skip_spaces(q + n + 1);
	return TRACEFS_LINE_EVENT;
}

bool tracefs_parse_raw_line(const char *line, struct tracefs_raw_ts *out)
{
	long pid, cpu;
	unsigned long long ts;
	int n = 0;
	if (sscanf(line, " %ld %ld %llu type: %*d%n", &pid, &cpu, &ts, &n) != 3 || n == 0)
		return false;
	if (pid < 0 || cpu < 0 || cpu > 65535)
		return false;
	*out = (struct tracefs_raw_ts){ .pid = (pid_t)pid, .cpu = (int)cpu, .ts_ns = ts };
	return true;
}
