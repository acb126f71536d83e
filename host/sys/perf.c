/* Per-thread perf counter groups (see include/sys/perf.h). */
#include "sys/perf.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REASON_LEN 96

struct counter_spec {
	const char *name;
	bool hardware;
	uint32_t type;
	uint64_t config;
};

#define DTLB_READ_MISS                                                   \
	(PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |  \
	 (PERF_COUNT_HW_CACHE_RESULT_MISS << 16))

static const struct counter_spec specs[SYS_PERF_COUNT] = {
	[SYS_PERF_INSTRUCTIONS] = { "instructions", true, PERF_TYPE_HARDWARE,
				    PERF_COUNT_HW_INSTRUCTIONS },
	[SYS_PERF_CYCLES] = { "cycles", true, PERF_TYPE_HARDWARE,
			      PERF_COUNT_HW_CPU_CYCLES },
	[SYS_PERF_CACHE_MISSES] = { "cache-misses", true, PERF_TYPE_HARDWARE,
				    PERF_COUNT_HW_CACHE_MISSES },
	[SYS_PERF_DTLB_LOAD_MISSES] = { "dTLB-load-misses", true,
					PERF_TYPE_HW_CACHE, DTLB_READ_MISS },
	[SYS_PERF_PAGE_FAULTS] = { "page-faults", false, PERF_TYPE_SOFTWARE,
				   PERF_COUNT_SW_PAGE_FAULTS },
	[SYS_PERF_CONTEXT_SWITCHES] = { "context-switches", false,
					PERF_TYPE_SOFTWARE,
					PERF_COUNT_SW_CONTEXT_SWITCHES },
	[SYS_PERF_TASK_CLOCK] = { "task-clock", false, PERF_TYPE_SOFTWARE,
				  PERF_COUNT_SW_TASK_CLOCK },
};

struct sys_perf_group {
	int fd[SYS_PERF_COUNT];     /* -1 when unavailable */
	uint64_t id[SYS_PERF_COUNT];
	bool available[SYS_PERF_COUNT];
	int leader;                 /* fd of the group leader, -1 if none */
	unsigned open_count;        /* events opened (task-clock is not one) */
	bool user_only;
	char scope[64];
	char reason[SYS_PERF_COUNT][REASON_LEN];
	uint64_t *buf;              /* read() buffer, sized for the group */
	size_t buf_len;
};

const char *sys_perf_counter_name(enum sys_perf_counter c)
{
	return (unsigned)c < SYS_PERF_COUNT ? specs[c].name : NULL;
}

bool sys_perf_counter_is_hardware(enum sys_perf_counter c)
{
	return (unsigned)c < SYS_PERF_COUNT && specs[c].hardware;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case ENOSYS: return "ENOSYS";
	case EMFILE: return "EMFILE";
	case EBUSY: return "EBUSY";
	case E2BIG: return "E2BIG";
	default: return "errno";
	}
}

static int read_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = -100; /* unknown */
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -100;
		fclose(f);
	}
	return v;
}

static int perf_open(enum sys_perf_counter c, int group_fd, bool user_only)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = specs[c].type;
	attr.config = specs[c].config;
	attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID |
			   PERF_FORMAT_TOTAL_TIME_ENABLED |
			   PERF_FORMAT_TOTAL_TIME_RUNNING;
	attr.exclude_kernel = user_only;
	attr.exclude_hv = user_only;
	/* pid 0, cpu -1: the calling thread, wherever it runs. */
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, group_fd,
			  PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -1 : (int)fd;
}

static void record_failure(struct sys_perf_group *g, enum sys_perf_counter c,
			   int e)
{
	snprintf(g->reason[c], REASON_LEN, "%s: %s", errno_name(e),
		 strerror(e));
}

/* Kernel-mode counting needs paranoid < 2 or CAP_PERFMON; the first
 * EACCES/EPERM switches the whole group to user mode, so every counter in
 * it counts the same thing. */
static void open_counter(struct sys_perf_group *g, enum sys_perf_counter c)
{
	int fd = perf_open(c, g->leader, g->user_only);
	if (fd < 0 && (errno == EACCES || errno == EPERM) && !g->user_only &&
	    g->open_count == 0) {
		g->user_only = true;
		fd = perf_open(c, g->leader, true);
	}
	if (fd < 0) {
		record_failure(g, c, errno);
		return;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &g->id[c]) != 0) {
		record_failure(g, c, errno);
		close(fd);
		return;
	}
	g->fd[c] = fd;
	g->available[c] = true;
	if (g->leader < 0)
		g->leader = fd;
	g->open_count++;
}

static void close_counters(struct sys_perf_group *g)
{
	/* Members first, leader last. */
	for (int c = SYS_PERF_COUNT - 1; c >= 0; c--)
		if (g->fd[c] >= 0 && g->fd[c] != g->leader)
			close(g->fd[c]);
	if (g->leader >= 0)
		close(g->leader);
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		g->fd[c] = -1;
		g->available[c] = false;
	}
	g->leader = -1;
	g->open_count = 0;
}

/*
 * task-clock is not opened as an event. Inside a group it misbehaves (seen
 * on Linux 6.18: as a sibling it reads 0; as the leader its software
 * siblings read 0). It is also redundant: a per-thread group's
 * time_enabled advances exactly while the thread is on a CPU with the
 * group enabled, which is what task-clock counts. So task-clock is the
 * group's time_enabled, available whenever any event opened.
 */
static void open_all(struct sys_perf_group *g, bool with_hardware)
{
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		g->fd[c] = -1;
		g->available[c] = false;
	}
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		if (c == SYS_PERF_TASK_CLOCK ||
		    (specs[c].hardware && !with_hardware))
			continue;
		g->reason[c][0] = '\0';
		open_counter(g, (enum sys_perf_counter)c);
	}
	g->available[SYS_PERF_TASK_CLOCK] = g->leader >= 0;
	if (g->leader < 0)
		snprintf(g->reason[SYS_PERF_TASK_CLOCK], REASON_LEN,
			 "derived from the group's time_enabled, and no event "
			 "opened");
}

static void set_scope(struct sys_perf_group *g)
{
	if (g->open_count == 0)
		snprintf(g->scope, sizeof(g->scope), "none");
	else if (!g->user_only)
		snprintf(g->scope, sizeof(g->scope), "user+kernel");
	else
		snprintf(g->scope, sizeof(g->scope),
			 "user only (perf_event_paranoid=%d)", read_paranoid());
}

/* A group with more hardware events than the PMU has counters opens fine
 * but is never scheduled. Spin briefly and check that it ran. */
static bool group_runs(struct sys_perf_group *g)
{
	struct sys_perf_sample a, b;
	if (sys_perf_read(g, &a) != 0)
		return false;
	volatile unsigned sink = 0;
	for (unsigned i = 0; i < 100000; i++)
		sink += i;
	if (sys_perf_read(g, &b) != 0)
		return false;
	return b.time_running_ns > a.time_running_ns ||
	       b.time_enabled_ns == a.time_enabled_ns;
}

static bool any_hardware_open(const struct sys_perf_group *g)
{
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		if (specs[c].hardware && g->fd[c] >= 0)
			return true;
	return false;
}

struct sys_perf_group *sys_perf_open(void)
{
	struct sys_perf_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->buf_len = (3 + 2 * SYS_PERF_COUNT) * sizeof(uint64_t);
	g->buf = malloc(g->buf_len);
	if (!g->buf) {
		free(g);
		return NULL;
	}
	g->leader = -1;
	open_all(g, true);
	if (any_hardware_open(g) && !group_runs(g)) {
		close_counters(g);
		g->user_only = false;
		open_all(g, false);
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			if (specs[c].hardware)
				snprintf(g->reason[c], REASON_LEN,
					 "EBUSY: hardware group never scheduled "
					 "(PMU busy or too few counters)");
	}
	set_scope(g);
	return g;
}

void sys_perf_close(struct sys_perf_group *g)
{
	if (!g)
		return;
	close_counters(g);
	free(g->buf);
	free(g);
}

bool sys_perf_available(const struct sys_perf_group *g,
			enum sys_perf_counter c)
{
	return (unsigned)c < SYS_PERF_COUNT && g->available[c];
}

const char *sys_perf_unavailable_reason(const struct sys_perf_group *g,
					enum sys_perf_counter c)
{
	if ((unsigned)c >= SYS_PERF_COUNT)
		return "no such counter";
	return g->available[c] ? NULL : g->reason[c];
}

unsigned sys_perf_available_count(const struct sys_perf_group *g)
{
	unsigned n = 0;
	for (int c = 0; c < SYS_PERF_COUNT; c++)
		n += g->available[c];
	return n;
}

const char *sys_perf_scope(const struct sys_perf_group *g)
{
	return g->scope;
}

int sys_perf_read(struct sys_perf_group *g, struct sys_perf_sample *out)
{
	memset(out, 0, sizeof(*out));
	if (g->leader < 0)
		return 0;
	/* Layout: nr, time_enabled, time_running, then {value, id} x nr. */
	ssize_t n = read(g->leader, g->buf, g->buf_len);
	if (n < 0)
		return -1;
	if (n < (ssize_t)(3 * sizeof(uint64_t))) {
		errno = EIO;
		return -1;
	}
	uint64_t nr = g->buf[0];
	if (nr > SYS_PERF_COUNT ||
	    (size_t)n < (3 + 2 * nr) * sizeof(uint64_t)) {
		errno = EIO;
		return -1;
	}
	out->time_enabled_ns = g->buf[1];
	out->time_running_ns = g->buf[2];
	out->value[SYS_PERF_TASK_CLOCK] = g->buf[1];
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t value = g->buf[3 + 2 * i], id = g->buf[4 + 2 * i];
		for (int c = 0; c < SYS_PERF_COUNT; c++)
			if (g->fd[c] >= 0 && g->id[c] == id)
				out->value[c] = value;
	}
	return 0;
}

static uint64_t diff(uint64_t after, uint64_t before)
{
	return after >= before ? after - before : 0;
}

void sys_perf_delta(const struct sys_perf_group *g,
		    const struct sys_perf_sample *before,
		    const struct sys_perf_sample *after,
		    struct sys_perf_delta *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t enabled = diff(after->time_enabled_ns, before->time_enabled_ns);
	uint64_t running = diff(after->time_running_ns, before->time_running_ns);
	out->running_fraction = enabled ? (double)running / (double)enabled : 1.0;
	if (enabled > 0 && running == 0) {
		out->never_counted = true;
		out->multiplexed = true;
		return;
	}
	double scale = 1.0;
	if (running < enabled) {
		out->multiplexed = true;
		scale = (double)enabled / (double)running;
	}
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		if (!g->available[c])
			continue;
		out->available[c] = true;
		/* task-clock is time_enabled itself: never scaled. */
		out->value[c] = (double)diff(after->value[c], before->value[c]) *
				(c == SYS_PERF_TASK_CLOCK ? 1.0 : scale);
	}
}

int sys_perf_write_json(const struct sys_perf_group *g, FILE *out)
{
	/* Names and reasons are fixed ASCII without quotes or backslashes. */
	fprintf(out, "{\"scope\": \"%s\", \"available\": [", g->scope);
	const char *sep = "";
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		if (!g->available[c])
			continue;
		fprintf(out, "%s\"%s\"", sep, specs[c].name);
		sep = ", ";
	}
	fputs("], \"unavailable\": {", out);
	sep = "";
	for (int c = 0; c < SYS_PERF_COUNT; c++) {
		if (g->available[c])
			continue;
		fprintf(out, "%s\"%s\": \"%s\"", sep, specs[c].name,
			g->reason[c]);
		sep = ", ";
	}
	fputs("}}", out);
	return ferror(out) ? -1 : 0;
}
