/*
 * Host topology and thread pinning (hwloc).
 *
 * Contract: sys_topology_load() discovers the machine once (cores, PUs,
 * NUMA nodes, packages; only the CPUs this process may use). The loaded
 * topology is read-only afterwards, so every function taking a const
 * topology, and sys_pin_bind_self(), may be called from many threads.
 *
 * Pinning: a run has one main thread plus one thread per vCPU. A pin plan
 * assigns each of them an OS PU index (the number Linux calls the CPU):
 *   - default: one distinct core per thread (first PU of each core, in
 *     topology order); with fewer cores than threads nobody is pinned and
 *     the plan's note says why;
 *   - user list (--pin CPULIST): thread i gets the i-th listed CPU. A CPU
 *     that does not exist or that this process may not use is an error,
 *     and so is a list shorter than the number of threads.
 * Binding (sys_pin_bind_self) never fails hard: when the OS or hwloc
 * cannot bind, it returns a note ("cpubind not supported: ...") and the
 * thread runs unpinned.
 *
 * Cost: sys_topology_load takes about 2-3 ms (measured on the 2-core
 * development VM; sys.costs prints it): load once per process.
 *
 * Failure: functions returning int give 0 on success and -1 on error,
 * with a one-line message in `err` (never NULL-terminated garbage; always
 * a C string when err_len > 0). Nothing here exits or aborts.
 */
#ifndef SYS_TOPOLOGY_H
#define SYS_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sys_topology;

struct sys_topology_counts {
	unsigned packages;
	unsigned cores;
	unsigned pus;        /* hardware threads usable by this process */
	unsigned numa_nodes;
};

int sys_topology_load(struct sys_topology **out, char *err, size_t err_len);
void sys_topology_free(struct sys_topology *topo);

void sys_topology_counts(const struct sys_topology *topo,
			 struct sys_topology_counts *out);

/* PUs usable by this process, as a CPU list ("0-3,6") in buf. */
void sys_topology_pu_list(const struct sys_topology *topo, char *buf,
			  size_t len);

/* Write the hwloc XML of the topology to `path` (via a temporary file in
 * the same directory and rename, so a reader never sees half a file). */
int sys_topology_export_xml(const struct sys_topology *topo, const char *path,
			    char *err, size_t err_len);

/* A parsed CPU list, in the order the user wrote it. */
#define SYS_CPULIST_MAX  1024 /* entries in one list */
#define SYS_CPU_INDEX_MAX 65535 /* largest OS CPU index accepted */

struct sys_cpulist {
	unsigned count;
	unsigned cpu[SYS_CPULIST_MAX];
};

/* Parse "0-3,6" (comma-separated indices and inclusive ranges a-b, no
 * spaces). Errors: empty list or element, non-digit, reversed range, CPU
 * listed twice, index above SYS_CPU_INDEX_MAX, more than SYS_CPULIST_MAX
 * CPUs. Existence on this machine is checked by the plan, not here. */
int sys_cpulist_parse(const char *text, struct sys_cpulist *out, char *err,
		      size_t err_len);

#define SYS_THREAD_NAME_LEN 16
#define SYS_PIN_NOTE_LEN    256

struct sys_pin {
	char thread[SYS_THREAD_NAME_LEN]; /* "main", "vcpu0", "vcpu1", ... */
	int pu;                            /* OS PU index; -1 = unpinned */
};

struct sys_pin_plan {
	bool pinned;   /* false: every pu is -1, note says why */
	bool from_user;
	unsigned threads;               /* 1 + vcpus */
	char note[SYS_PIN_NOTE_LEN];    /* empty when nothing to say */
	struct sys_pin pin[];           /* [threads]: main first, then vCPUs */
};

/* Plan pinning for the main thread and `vcpus` vCPU threads. `user` is
 * the --pin list, or NULL for the default one-core-per-thread plan.
 * Returns a plan to free with free(), or NULL with a message in err. */
struct sys_pin_plan *sys_pin_plan_compute(const struct sys_topology *topo,
					  unsigned vcpus,
					  const struct sys_cpulist *user,
					  char *err, size_t err_len);

/* Write the plan as a JSON object for meta.json:
 * {"pinned": true, "source": "default", "note": "...",
 *  "threads": {"main": 0, "vcpu0": 1}}   (unpinned threads map to null).
 * Returns 0, or -1 if writing failed. */
int sys_pin_plan_write_json(const struct sys_pin_plan *plan, FILE *out);

/* Bind the calling thread to OS PU `pu` (pu < 0: do nothing, return 0).
 * Returns 0 when bound; 1 when the thread stays unpinned, with the reason
 * in `note` ("cpubind not supported: ..." or "cpubind failed: ..."); -1 for
 * a PU that does not exist (message in note). */
int sys_pin_bind_self(const struct sys_topology *topo, int pu, char *note,
		      size_t note_len);

/* OS PU the calling thread last ran on (sched_getcpu), -1 if unknown. */
int sys_current_pu(void);

#endif
