/*
 * Results directory: meta.json, faults.csv, summary.json (schema 1).
 *
 * Contract (writer): results_open() creates DIR if needed and starts
 * faults.csv in a temporary file; results_add_run() validates one run,
 * streams its faults to that file and keeps only its summary (the caller
 * may free the records afterwards); results_commit() writes meta.json and
 * summary.json to temporaries, fsyncs all three, renames them into place
 * (summary.json last: its presence marks a complete directory) and fsyncs
 * DIR. Any failure removes the temporaries, so an interrupted or failed
 * run never leaves a half-written file under a final name.
 * results_discard() abandons a writer. Nothing here is thread-safe: one
 * thread writes results after the vCPU threads have been joined.
 *
 * One writer per directory: results_open() takes an exclusive flock() on
 * DIR for the writer's life, and refuses DIR when another writer holds it
 * (errno EBUSY) or when it already holds results or a partial run
 * (faults.csv or meta.json without summary.json; errno EEXIST), unless
 * meta->overwrite. Its temporaries are removed on SIGINT, SIGTERM and
 * SIGHUP (results/atomic_file.h).
 *
 * Contract (reader): results_load_summary() parses DIR/summary.json with
 * the strict JSON reader and validates the schema version and every
 * required field, naming the run and field on error. Both sides return
 * 0 or -1 with a message in ERR (never a partial result).
 *
 * Privacy: meta.json records the CPU model, kernel and CPU count, never
 * the host name; the command line is kept verbatim except that the
 * program's directory is dropped from argv[0].
 */
#ifndef RESULTS_RESULTS_H
#define RESULTS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "results/histogram.h"
#include "results/json.h"
#include "clock/stage.h"
#include "clock/stage_clock.h"

#define RESULTS_SCHEMA_VERSION 1

/* Where numbers came from; every run and meta.json carry one. */
#define RESULTS_SOURCE_SIM_MEASURED "sim-measured"
#define RESULTS_SOURCE_MODELED      "modeled"
#define RESULTS_SOURCE_REAL_VM      "real-vm"

/* The most vCPUs any backend runs (KVM_MAX_VCPUS, VMM_MAX_VCPUS): a run
 * claiming more is corrupt. */
#define RESULTS_MAX_VCPUS 256
/* A run's wall time above this (one year) is not a run's. */
#define RESULTS_MAX_TOTAL_NS (366ull * 86400 * 1000000000)
/* RMI calls per fault (plus one per vCPU for the run's own calls) that no
 * run can exceed: a fault maps at most a 1 GiB block, 2^18 granules, each
 * delegated and tabled (2^19 leaves room). */
#define RESULTS_MAX_RMI_PER_FAULT (1ull << 19)

/* Is S one of RESULTS_SOURCE_*? */
bool results_source_known(const char *s);
/* Bytes of a page label ("4K", "2M", "1G": a power of two from 4 KiB to
 * 1 GiB), or 0 when LABEL is none. */
uint64_t results_page_bytes(const char *label);
/* A label (pattern, policy, abi) is 1-64 characters of [A-Za-z0-9._+-]:
 * nothing a figure title, a CSV cell or gnuplot data could misread. */
bool results_label_ok(const char *label);

struct results_meta {
	const char *backend;  /* "sim" | "kvm" */
	const char *abi;      /* "1.0" | "2.0" */
	const char *policy;
	const char *profile;  /* NULL -> null */
	const char *source;   /* RESULTS_SOURCE_* */
	int argc;             /* command line, recorded verbatim */
	char *const *argv;
	struct timespec start_time;           /* {0, 0}: now */
	/* The measured machine's meta.json "host" object as JSON text, when
	 * it is not this one (trace ingest); NULL: this machine. */
	const char *host_json;
	const struct stage_clock_info *clock; /* NULL: stage_clock_info() */
	bool overwrite;       /* replace an existing results directory */
};

struct results_count {
	const char *name; /* with its prefix, e.g. "RMI_GRANULE_DELEGATE" */
	uint64_t count;
};

struct results_extra {
	const char *name;
	double value; /* NaN/Inf are written as null */
};

/* Exact fault statistics of a run whose faults.csv rows are a sample
 * (runs above a size, docs/sim-backend.md "Realms larger than the host"):
 * counts are exact, distributions come from these histograms (HDR style,
 * a reported value within 0.4 % of the sample it stands for). */
struct results_fault_hist {
	uint64_t n;                          /* every fault */
	uint64_t kinds[FAULT_KIND_COUNT];
	uint64_t rmi_calls;
	struct histogram fault_ns;
	struct histogram stages[STAGE_COUNT]; /* faults where the stage occurred */
};

/* One lifecycle phase of a run (`run --phases`): summary.json writes the
 * run's phases as its "phases" array, only when there are any, so runs
 * without phases keep their format. */
struct results_phase {
	const char *phase;   /* "populate" | "fault" | "teardown" */
	uint64_t bytes;      /* guest RAM the phase covered */
	uint64_t total_ns;
	uint64_t rmi_calls;  /* REC_ENTER excluded */
	int measured;        /* populate: 1 measured, 0 not; -1: not written */
	const struct results_count *counts; /* by command, prefixed names */
	size_t n_counts;
	const struct results_count *stages; /* ns by host-path stage name */
	size_t n_stages;
};

/* One (vm, pattern, policy, abi, page, size, vcpus) combination. */
struct results_run {
	const char *vm;      /* "realm" | "normal" */
	const char *pattern;
	const char *policy;
	const char *abi;
	const char *page;    /* "4K", "2M", ... (digits then K, M or G) */
	uint64_t size;       /* bytes */
	uint32_t vcpus;
	const struct fault_record *faults; /* every record's vcpu < vcpus */
	size_t n_faults;
	uint64_t dropped_faults; /* from fault_log_merge */
	const struct results_count *counts;
	size_t n_counts;
	uint64_t total_ns;   /* wall time of the run */
	const char *source;  /* RESULTS_SOURCE_* */
	const struct results_extra *extra; /* summary "extra" object */
	size_t n_extra;
	const struct results_phase *phases; /* lifecycle phases, or none */
	size_t n_phases;
	/* NULL: faults holds every fault. Else faults is a uniform sample and
	 * the summary's counts and distributions come from hist. */
	const struct results_fault_hist *hist;
};

struct results_writer;

/* NULL with ERR and errno set (EEXIST, EBUSY: the caller's input, exit 2). */
struct results_writer *results_open(const char *dir, const struct results_meta *meta,
				    char *err, size_t err_len);
/* What DIR already holds, for a message: "results (summary.json)", "a
 * partial run (...)", or NULL when none of the results files exist. */
const char *results_dir_holds(const char *dir);
/* Free-form meta.json "extra" keys (pinning map, notes); keys unique. */
int results_meta_add_string(struct results_writer *w, const char *key, const char *value,
			    char *err, size_t err_len);
int results_meta_add_u64(struct results_writer *w, const char *key, uint64_t value,
			 char *err, size_t err_len);
int results_meta_add_double(struct results_writer *w, const char *key, double value,
			    char *err, size_t err_len);
/* JSON_TEXT must be one valid JSON value; it is parsed, then re-emitted. */
int results_meta_add_json(struct results_writer *w, const char *key, const char *json_text,
			  char *err, size_t err_len);
/* The run's id (its index in summary "runs", faults.csv "run"), or -1. */
int results_add_run(struct results_writer *w, const struct results_run *run,
		    char *err, size_t err_len);
/* Write, sync and rename everything; frees W whatever the outcome. */
int results_commit(struct results_writer *w, char *err, size_t err_len);
void results_discard(struct results_writer *w);

/* ---- Reading summary.json back ---- */

struct results_dist {
	uint64_t n, min_ns, p50_ns, p90_ns, p99_ns, max_ns;
	bool has_ci; /* fault_ns only, and only when n is large enough */
	uint64_t p50_ci_low_ns, p50_ci_high_ns;
};

struct results_loaded_count {
	const char *name;
	uint64_t count;
};

struct results_run_summary {
	/* Strings point into the parsed document owned by the summary. */
	const char *vm, *pattern, *policy, *abi, *page, *source;
	uint64_t size, faults, total_ns;
	uint64_t rows;         /* faults.csv rows: faults, or faults_sampled */
	uint32_t vcpus;
	double faults_per_sec; /* NaN when null */
	struct results_loaded_count *counts;
	size_t n_counts;
	bool has_stage[STAGE_COUNT];
	struct results_dist stages[STAGE_COUNT];
	struct results_dist fault_ns;
	const struct json_value *json; /* the whole run object (extra fields) */
};

struct results_summary {
	uint64_t schema;
	struct results_run_summary *runs;
	size_t n_runs;
	struct json_value *doc;
};

int results_load_summary(const char *dir, struct results_summary *out, char *err, size_t err_len);
/* Validate an already parsed document; on success OUT borrows DOC. */
int results_validate_summary(const struct json_value *doc, struct results_summary *out,
			     char *err, size_t err_len);
void results_summary_free(struct results_summary *s);

/* Parse DIR/meta.json and check its schema version and required keys. */
struct json_value *results_load_meta(const char *dir, char *err, size_t err_len);

#endif
