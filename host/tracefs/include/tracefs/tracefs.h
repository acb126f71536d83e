/*
 * In-kernel stage timing through tracefs: kprobe/kretprobe events on the
 * host functions of each fault stage plus the KVM entry/exit tracepoints,
 * recorded in a tracefs instance of our own and turned into the same
 * per-fault records (trace/stage.h) the sim backend writes.
 *
 * Three parts, usable separately:
 *
 *  - Plan (tracefs_plan): which probe points this kernel has. Each stage
 *    names one or more kernel symbols (first one found in kallsyms wins:
 *    names move between kernel versions and static functions get inlined).
 *    Points the kernel lacks are listed by name in the plan, never silently
 *    dropped; a missing required point makes planning fail.
 *
 *  - Session (tracefs_session_*): creates the kprobe events (group
 *    "rmeb_<tag>", through ROOT/kprobe_events only: no extra tools), a
 *    tracefs instance "rmeb_<tag>" with its own ring buffer, enables the
 *    events there only, and tears everything down in close, also after a
 *    failed open. The global trace buffer and other users' events are
 *    never touched.
 *
 *  - Parser and correlator (tracefs_parse_line, tracefs_corr_*): pure
 *    functions over the kernel's text trace format, fed one line at a
 *    time, with no tracefs needed (tests run them on recorded text).
 *    Events are grouped by thread (the pid field): a fault is the span from
 *    kvm_exit to the next kvm_entry of that vCPU thread in which a mapping
 *    stage ran (stage-2 map or relax, realm map, RIPAS change). Probes nest:
 *    each stage gets its function's self time (inclusive time minus the
 *    probed functions it called), so nothing is counted twice.
 *    exit_decode = kvm_exit -> first probed handler; rec_enter = last
 *    handler return -> kvm_entry; rec_exit (guest -> kvm_exit) is not
 *    visible to the host kernel and stays 0; unattributed = the rest.
 *
 *  - RMI calls (optional, tracefs_plan_load_smc_sites): the host's RMI
 *    wrappers are inline SMCs, and arm64 kprobes refuse an `smc`; a site
 *    file (scripts/qemu/rmi-smc-sites.py, from the kernel's vmlinux) names
 *    for each `smc` the instruction just before it that leaves x0 alone.
 *    A kprobe there fetches x0, the function ID (event rmeb_smc<k>,
 *    "fid=0x..."), or stores the constant FID the site file gives where
 *    that instruction builds x0 itself. Inside a fault span each such event is one RMI call:
 *    the record's rmi_calls, and per function ID for the run's counts;
 *    calls elsewhere are counted apart (tracefs_corr_rmi_counts_outside).
 *
 * Honesty: the text format prints microseconds; a session therefore reads
 * the buffer twice, as text and as raw lines with nanosecond timestamps
 * (same order), and uses the latter when every line agrees, otherwise
 * stage times have 1 us resolution (tracefs_session_resolution_ns says
 * which). Each kprobe hit adds its own
 * cost to the stage it brackets (a BRK exception on arm64), so short stages
 * read long. Both are recorded in the run's notes by the caller.
 *
 * Errors: functions return TRACEFS_OK (0) or a TRACEFS_E* status with a
 * message in ERR naming the file, event or symbol. tracefs_exit_code maps
 * a status to the rme-bench exit code (1: the machine cannot do the work).
 * Not thread-safe: one thread sets up, collects and tears down.
 */
#ifndef TRACEFS_TRACEFS_H
#define TRACEFS_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock/fault_log.h"
#include "clock/stage.h"

enum tracefs_status {
	TRACEFS_OK = 0,
	TRACEFS_ENOTRACEFS,   /* no tracefs mounted at the root */
	TRACEFS_ENOKPROBES,   /* tracefs without kprobe_events */
	TRACEFS_ENOTRACEPOINT, /* kvm_entry / kvm_exit tracepoints missing */
	TRACEFS_ENOSYMBOL,    /* a required probe point is missing */
	TRACEFS_EBUSY,        /* our instance or group exists already */
	TRACEFS_EIO,          /* a tracefs file could not be read/written */
	TRACEFS_EPARSE,       /* malformed trace text */
	TRACEFS_ENOMEM,
};

const char *tracefs_status_name(enum tracefs_status s);
/* rme-bench exit code for S: 0 for TRACEFS_OK, else 1. */
int tracefs_exit_code(enum tracefs_status s);

enum tracefs_vm { TRACEFS_VM_NORMAL, TRACEFS_VM_REALM };

/* ---- Plan ---- */

#define TRACEFS_MAX_PROBES 16
#define TRACEFS_MAX_SMC_SITES 256

struct tracefs_probe_plan {
	const char *name;   /* our event base name, e.g. "rmeb_abort" */
	char symbol[128];   /* chosen kernel symbol, "" if none exists */
	const char *wanted; /* the candidates, "a|b|c", for messages */
	enum stage stage;
	int fault_kind;     /* enum fault_kind a completed call marks, or -1 */
	bool required;
};

struct tracefs_plan {
	enum tracefs_vm vm;
	struct tracefs_probe_plan probes[TRACEFS_MAX_PROBES];
	size_t n_probes;
	bool has_guest_fault_tp; /* kvm:kvm_guest_fault (gives the IPA) */
	char entry_tp[48], exit_tp[48]; /* "kvm/kvm_entry", "kvm/kvm_exit" */
	/* SMC sites, "symbol+0xoff" (tracefs_plan_load_smc_sites); a site the
	 * kernel refuses is emptied at session open. */
	char smc_sites[TRACEFS_MAX_SMC_SITES][96];
	uint64_t smc_fid[TRACEFS_MAX_SMC_SITES]; /* 0: x0 holds it at the site */
	size_t n_smc_sites;
};

/* Read a site file (one "symbol+0xoffset [FID]" per line, '#' comments)
 * into PLAN: without FID, x0 holds the function ID at the site; with it,
 * the site writes x0 itself and FID is the constant it loads. TRACEFS_EPARSE with the line named on a malformed line or more
 * than TRACEFS_MAX_SMC_SITES sites, TRACEFS_EIO if unreadable. */
enum tracefs_status tracefs_plan_load_smc_sites(struct tracefs_plan *plan, const char *path,
						char *err, size_t err_len);

/* RMI function IDs are 0xC4000150..0xC400024F: the counters' range. */
#define TRACEFS_RMI_FID_BASE 0xC4000150u
#define TRACEFS_RMI_FIDS     256

/*
 * Check ROOT (a mounted tracefs) for kprobe_events and the KVM entry/exit
 * tracepoints, and KALLSYMS (a /proc/kallsyms-format file) for the probe
 * symbols of VM. Missing optional symbols leave probe->symbol "".
 */
enum tracefs_status tracefs_plan(const char *root, const char *kallsyms, enum tracefs_vm vm,
				 struct tracefs_plan *plan, char *err, size_t err_len);
/*
 * A plan that takes every probe as present under its first candidate name,
 * for reading a trace recorded elsewhere (events that never occur cost
 * nothing). The tracepoints are kvm/kvm_entry and kvm/kvm_exit.
 */
void tracefs_plan_assume_all(enum tracefs_vm vm, struct tracefs_plan *plan);
/* "name <- symbol" per probe, "name: MISSING (wanted a|b)" otherwise. */
void tracefs_plan_describe(const struct tracefs_plan *plan, char *buf, size_t len);
/*
 * Where the time of each missing probe point lands instead, one sentence
 * per point ("" if none is missing): for the results' notes.
 */
void tracefs_plan_notes(const struct tracefs_plan *plan, char *buf, size_t len);
/* Comma list of the probes the kernel lacks ("" if none). */
void tracefs_plan_missing(const struct tracefs_plan *plan, char *buf, size_t len);

/*
 * The tracefs root: $RMEB_TRACEFS if set, else /sys/kernel/tracing, else
 * /sys/kernel/debug/tracing (the first that holds a "trace" file).
 */
enum tracefs_status tracefs_find_root(char *out, size_t len, char *err, size_t err_len);

/* ---- Parser ---- */

struct tracefs_event {
	pid_t pid;
	int cpu;
	uint64_t ts_ns;      /* microsecond resolution in the text format */
	const char *comm;    /* points into the line (not terminated: comm_len) */
	size_t comm_len;
	char name[64];       /* event name as printed, e.g. "kvm_exit" */
	const char *body;    /* rest of the line after "name: " */
};

enum tracefs_line {
	TRACEFS_LINE_EVENT,   /* EV filled */
	TRACEFS_LINE_SKIP,    /* header, comment or blank */
	TRACEFS_LINE_LOST,    /* "CPU:N [LOST M EVENTS]" */
	TRACEFS_LINE_BAD,     /* not the kernel's trace format */
};

/* LINE must stay alive while EV is used (EV points into it). */
enum tracefs_line tracefs_parse_line(const char *line, struct tracefs_event *ev);

/*
 * The same events read again with options/raw set: "<pid> <cpu> <ts_ns>
 * type: <id>", nanosecond timestamps in the same order as the text lines.
 * True when LINE is such a line.
 */
struct tracefs_raw_ts {
	pid_t pid;
	int cpu;
	uint64_t ts_ns;
};
bool tracefs_parse_raw_line(const char *line, struct tracefs_raw_ts *out);

/* ---- Correlator ---- */

struct tracefs_corr_stats {
	uint64_t events;          /* event lines fed */
	uint64_t faults;          /* fault records produced */
	uint64_t other_exits;     /* exit -> entry spans without a mapping stage */
	uint64_t unbalanced;      /* spans dropped: a return without its call,
				     an exit without entry, events lost */
	uint64_t lost_lines;      /* LOST markers in the text */
	uint64_t bad_lines;       /* lines not in the trace format */
	uint64_t foreign_threads; /* events from threads that are not vCPUs */
	uint64_t ns_events;       /* events timed from the raw read */
	uint64_t ns_mismatches;   /* raw entries that did not match their line */
	uint64_t filtered;        /* fault records the filter dropped */
	uint64_t smc_in_faults;   /* RMI calls counted into kept fault records */
	uint64_t smc_filtered;    /* RMI calls of the records the filter dropped */
	uint64_t smc_elsewhere;   /* RMI calls in no fault record: outside spans,
				     in spans that are no fault or were dropped */
	uint64_t smc_joined_ripas; /* of smc_in_faults + smc_filtered: calls of the
				      span after a RIPAS change, added to its record */
	uint64_t smc_foreign_fid; /* SMC events whose x0 is no RMI function ID */
	uint64_t stages_clamped;  /* faults with a stage over 4.29 s (32-bit ns) */
};

struct tracefs_corr;

/*
 * PLAN gives the event names and their stages. TIDS[i] is the thread of
 * vCPU i; with N_TIDS == 0 every thread that shows a kvm_exit becomes a
 * vCPU, numbered in order of first appearance (ingesting a trace taken
 * elsewhere). NULL on ENOMEM.
 */
struct tracefs_corr *tracefs_corr_create(const struct tracefs_plan *plan, const pid_t *tids,
					 size_t n_tids);
void tracefs_corr_destroy(struct tracefs_corr *c);
/*
 * Take the timestamps of the next N event lines from TS (the raw read of
 * the same buffer) instead of the microseconds of the text. TS must stay
 * alive while lines are fed; an event whose pid, CPU or microsecond value
 * disagrees with its TS entry keeps its text time and is counted in
 * stats.ns_mismatches.
 */
void tracefs_corr_use_ns(struct tracefs_corr *c, const struct tracefs_raw_ts *ts, size_t n);
/* Feed one line of trace text. TRACEFS_EPARSE only on a hard error. */
enum tracefs_status tracefs_corr_feed_line(struct tracefs_corr *c, const char *line);
/* Feed a whole file (the instance's "trace", or a saved copy). */
enum tracefs_status tracefs_corr_feed_file(struct tracefs_corr *c, const char *path,
					   char *err, size_t err_len);
/* After the last line of NAME: TRACEFS_EPARSE when nothing in it was an
 * event but some lines were text (not a trace at all), else TRACEFS_OK. */
enum tracefs_status tracefs_corr_check_text(const struct tracefs_corr *c, const char *name,
					    char *err, size_t err_len);
const struct tracefs_corr_stats *tracefs_corr_stats(const struct tracefs_corr *c);
/*
 * RMI calls by function ID, COUNTS[fid - TRACEFS_RMI_FID_BASE] with
 * TRACEFS_RMI_FIDS entries, in three disjoint sets whose sums are
 * stats.smc_in_faults (the kept fault records: the sum of their
 * rmi_calls), stats.smc_filtered (the records the filter dropped) and
 * stats.smc_elsewhere (no fault record). A span that is no fault, right
 * after a RIPAS change on the same thread, completes that change (the
 * host applies it at the next REC entry): its calls join that record.
 */
const uint64_t *tracefs_corr_rmi_counts(const struct tracefs_corr *c);
const uint64_t *tracefs_corr_rmi_counts_filtered(const struct tracefs_corr *c);
const uint64_t *tracefs_corr_rmi_counts_outside(const struct tracefs_corr *c);
/*
 * Keep only the fault records KEEP returns true for (called once per
 * record as its span ends, before it is logged); the others are counted
 * in stats.filtered and their RMI calls apart. Set before feeding.
 */
typedef bool (*tracefs_corr_keep_fn)(void *ctx, const struct fault_record *r);
void tracefs_corr_set_filter(struct tracefs_corr *c, tracefs_corr_keep_fn keep, void *ctx);
/* vCPUs seen or given; the log of vCPU I (records in time order). */
size_t tracefs_corr_vcpus(const struct tracefs_corr *c);
struct fault_log *tracefs_corr_log(const struct tracefs_corr *c, size_t i);

/* ---- Session ---- */

struct tracefs_session_opts {
	const char *root;      /* NULL: tracefs_find_root() */
	const char *kallsyms;  /* NULL: /proc/kallsyms */
	enum tracefs_vm vm;
	const char *tag;       /* group/instance suffix; NULL: our pid */
	unsigned buffer_kb;    /* per-CPU ring buffer; 0: 16384 */
	const char *smc_sites; /* site file to count RMI calls by (or NULL) */
};

struct tracefs_session;

/*
 * Plan, create the probes and the instance, enable the events (tracing
 * stays off until tracefs_session_start). On failure everything created
 * so far is removed again and *OUT is NULL.
 */
enum tracefs_status tracefs_session_open(const struct tracefs_session_opts *opts,
					 struct tracefs_session **out, char *err, size_t err_len);
const struct tracefs_plan *tracefs_session_plan(const struct tracefs_session *s);
/* The trace clock in use ("mono" when the kernel offers it). */
const char *tracefs_session_clock(const struct tracefs_session *s);
/*
 * Record only events of PID and the threads and processes it starts from
 * now on (set_event_pid with options/event-fork). Call before start.
 */
enum tracefs_status tracefs_session_follow_pid(struct tracefs_session *s, pid_t pid,
					       char *err, size_t err_len);
enum tracefs_status tracefs_session_start(struct tracefs_session *s, char *err, size_t err_len);
enum tracefs_status tracefs_session_stop(struct tracefs_session *s, char *err, size_t err_len);
/* Events the ring buffer overwrote or dropped (sum of per-CPU stats). */
uint64_t tracefs_session_overruns(const struct tracefs_session *s);
/*
 * Feed the instance's recorded trace into C (after stop): the text, with
 * nanosecond timestamps from a second, raw read when both reads agree
 * line for line (tracefs_session_resolution_ns() says which it got).
 */
enum tracefs_status tracefs_session_collect(struct tracefs_session *s, struct tracefs_corr *c,
					    char *err, size_t err_len);
/* 1 when collect had nanosecond timestamps, 1000 otherwise. */
unsigned tracefs_session_resolution_ns(const struct tracefs_session *s);
/* Copy the recorded trace to PATH: the text, or with RAW the raw read. */
enum tracefs_status tracefs_session_save(struct tracefs_session *s, const char *path, bool raw,
					 char *err, size_t err_len);
/* Disable, remove the instance, delete the probes; NULL is a no-op. */
void tracefs_session_close(struct tracefs_session *s);


#endif
