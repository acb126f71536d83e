/*
 * Per-thread hardware and software counters (perf_event_open).
 *
 * Contract: sys_perf_open() opens, for the calling thread only, one perf
 * event group holding every counter below that this machine and its
 * perf_event_paranoid setting allow. One sys_perf_read() is one read()
 * system call returning all counters at once; a stage or run is the delta
 * of two reads (sys_perf_delta), scaled by time_enabled / time_running
 * when the kernel multiplexed the group (the delta says so).
 *
 * Degrading: counters that cannot be opened (no PMU, a VM without
 * counters, paranoid settings, seccomp) are left out and recorded with
 * the reason ("ENOENT: No such file or directory"); the group still
 * opens with what remains, possibly nothing. When the kernel refuses
 * kernel-mode counting (perf_event_paranoid >= 2 without CAP_PERFMON) the
 * group counts user mode only and sys_perf_scope() says so. Nothing here
 * aborts; sys_perf_open returns NULL only when out of memory.
 *
 * task-clock is not an event of the group: Linux (seen on 6.18) does not
 * count a task-clock event together with other events in one group. It
 * is the group's time_enabled, which for a per-thread group is the
 * thread's on-CPU time while enabled, i.e. what task-clock counts; never
 * scaled, and it includes kernel time whatever the scope. It is available
 * whenever at least one event opened.
 *
 * Cost: opening probes each counter once (a few system calls). One group
 * read is one read(): measured 0.63 us median on the development machine
 * (2-core x86_64 VM, Linux 6.18, software events only; RelWithDebInfo).
 * ctest's sys.costs prints the figure for the machine at hand. Cheap
 * enough per run or per stage; too dear per fault on a 1 us fault path.
 *
 * Threads: a group counts the thread that opened it. Read and free it from
 * any one thread at a time; different groups are independent.
 */
#ifndef SYS_PERF_H
#define SYS_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SYS_PERF_COUNTER_LIST(X)                                         \
	X(INSTRUCTIONS, "instructions", true)                           \
	X(CYCLES, "cycles", true)                                       \
	X(CACHE_MISSES, "cache-misses", true)                           \
	X(DTLB_LOAD_MISSES, "dTLB-load-misses", true)                   \
	X(PAGE_FAULTS, "page-faults", false)                            \
	X(CONTEXT_SWITCHES, "context-switches", false)                  \
	X(TASK_CLOCK, "task-clock", false)

enum sys_perf_counter {
#define SYS_PERF_ENUM(id, name, hw) SYS_PERF_##id,
	SYS_PERF_COUNTER_LIST(SYS_PERF_ENUM)
#undef SYS_PERF_ENUM
	SYS_PERF_COUNT
};

/* perf(1) name of the counter ("dTLB-load-misses"); NULL if out of range.
 * task-clock counts nanoseconds; the others count events. */
const char *sys_perf_counter_name(enum sys_perf_counter c);
bool sys_perf_counter_is_hardware(enum sys_perf_counter c);

struct sys_perf_group;

struct sys_perf_group *sys_perf_open(void);
void sys_perf_close(struct sys_perf_group *g);

bool sys_perf_available(const struct sys_perf_group *g,
			enum sys_perf_counter c);
/* Why counter c is not in the group ("EOPNOTSUPP: Operation not
 * supported"), or NULL when it is. */
const char *sys_perf_unavailable_reason(const struct sys_perf_group *g,
					enum sys_perf_counter c);
unsigned sys_perf_available_count(const struct sys_perf_group *g);
/* "user+kernel", "user only (perf_event_paranoid=2)", or "none". */
const char *sys_perf_scope(const struct sys_perf_group *g);

/* One snapshot: raw (unscaled) counts and the group's time accounting. */
struct sys_perf_sample {
	uint64_t value[SYS_PERF_COUNT]; /* 0 for unavailable counters */
	uint64_t time_enabled_ns;
	uint64_t time_running_ns;
};

/* One read() of the whole group. With no counters open, fills zeros and
 * returns 0 (nothing to read is not an error). -1 with errno on failure. */
int sys_perf_read(struct sys_perf_group *g, struct sys_perf_sample *out);

struct sys_perf_delta {
	double value[SYS_PERF_COUNT]; /* scaled; 0 when !available */
	bool available[SYS_PERF_COUNT];
	bool multiplexed;      /* the group was not counting all the time */
	bool never_counted;    /* enabled but never running: values invalid */
	double running_fraction; /* running / enabled over the interval */
};

/* after - before, scaled by enabled/running when multiplexed. When the
 * group never ran during the interval, every counter is unavailable and
 * never_counted is set: there is no honest number to give. */
void sys_perf_delta(const struct sys_perf_group *g,
		    const struct sys_perf_sample *before,
		    const struct sys_perf_sample *after,
		    struct sys_perf_delta *out);

/* JSON object for meta.json:
 * {"scope": "...", "available": ["page-faults", ...],
 *  "unavailable": {"instructions": "ENOENT: ...", ...}}
 * Returns 0, or -1 if writing failed. */
int sys_perf_write_json(const struct sys_perf_group *g, FILE *out);

#endif
