/*
 * Google Benchmark (1.7.1, Debian libbenchmark-dev) from C.
 *
 * Contract: register C benchmark functions, describe their arguments and
 * timing, then gb_run() runs the ones selected by the usual flags
 * (--benchmark_filter, --benchmark_min_time, --benchmark_repetitions,
 * --benchmark_out=FILE, --benchmark_out_format=json|console|csv,
 * --benchmark_format=...) and returns an exit status. A benchmark function
 * loops with `while (gb_keep_running(st)) { ... }`.
 *
 * Errors: bad registration input (empty or duplicate name, arguments of a
 * different arity than earlier ones, lo > hi, non-positive iterations or
 * min time, manual and real time together, unknown counter flags) is
 * refused with a message on stderr and NULL / -1, never with the library's
 * abort. No C++ exception crosses this interface. A benchmark that calls
 * gb_skip_with_error (or misuses the state, e.g. asks for argument 3 of a
 * 1-argument case) is reported as an error and makes gb_run return 1.
 *
 * Strict JSON: Google Benchmark 1.7.1 writes NaN and Infinity (not JSON)
 * for non-finite numbers, e.g. a rate counter or items_per_second after a
 * run that measured 0 s of manual time. The shim never hands the library
 * a non-finite value (gb_counter refuses one), and its JSON reporters
 * (file and console) drop any counter whose final value is not finite and
 * say so in the run's label: "non-finite omitted: items_per_second".
 * A non-finite time (a cv aggregate of all-zero times) is written as 0
 * with the same kind of note.
 *
 * --benchmark_out=FILE is written to a temporary file beside FILE and
 * renamed when the run succeeds, so a failed run leaves no complete-looking
 * file (unless gb_keep_output_on_error asks to keep one with error runs).
 *
 * Threads: register and run from one thread; the gb_state functions are
 * for the benchmark's own thread(s).
 */
#ifndef GBENCH_GBENCH_H
#define GBENCH_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define GB_NOEXCEPT noexcept /* the shim promises: no exception escapes */
#else
#define GB_NOEXCEPT
#endif

struct gb_bench; /* a registered benchmark (family) */
struct gb_state; /* one run of a benchmark, valid inside its function */

typedef void (*gb_fn)(struct gb_state *st);

enum gb_unit { GB_UNIT_NS, GB_UNIT_US, GB_UNIT_MS, GB_UNIT_S };

/* Counter flags, combinable (Google Benchmark's Counter::Flags). */
enum gb_counter_flag {
	GB_COUNTER_DEFAULT = 0,
	GB_COUNTER_RATE = 1u << 0,                /* value / measured seconds */
	GB_COUNTER_AVG_THREADS = 1u << 1,         /* value / threads */
	GB_COUNTER_ITERATION_INVARIANT = 1u << 2, /* value * iterations */
	GB_COUNTER_AVG_ITERATIONS = 1u << 3,      /* value / iterations */
	GB_COUNTER_INVERT = 1u << 4,   /* 1 / (result of the above) */
	GB_COUNTER_BASE_1024 = 1u << 5 /* console shows Ki/Mi, not k/M */
};

/* ---- registration (before gb_run) --------------------------------- */

/* `user` is handed back by gb_user() in every run of the benchmark. */
struct gb_bench *gb_register(const char *name, gb_fn fn,
			     void *user) GB_NOEXCEPT;

/* Cases: each call adds cases; every case of a benchmark has the same
 * number of arguments. gb_range gives lo, then powers of the multiplier
 * (default 8) between, then hi. */
int gb_arg(struct gb_bench *b, int64_t value) GB_NOEXCEPT;
int gb_args(struct gb_bench *b, const int64_t *values, size_t n) GB_NOEXCEPT;
int gb_range(struct gb_bench *b, int64_t lo, int64_t hi) GB_NOEXCEPT;
int gb_range_multiplier(struct gb_bench *b, int multiplier) GB_NOEXCEPT;
int gb_dense_range(struct gb_bench *b, int64_t lo, int64_t hi,
		   int64_t step) GB_NOEXCEPT;
/* Names shown in case names ("seq/size:4096"); n = arguments per case. */
int gb_arg_names(struct gb_bench *b, const char *const *names,
		 size_t n) GB_NOEXCEPT;

int gb_unit(struct gb_bench *b, enum gb_unit unit) GB_NOEXCEPT;
/* Fixed iteration count; excludes gb_min_time. */
int gb_iterations(struct gb_bench *b, int64_t n) GB_NOEXCEPT;
int gb_min_time(struct gb_bench *b, double seconds) GB_NOEXCEPT;
int gb_repetitions(struct gb_bench *b, int n) GB_NOEXCEPT;
int gb_threads(struct gb_bench *b, int n) GB_NOEXCEPT;
/* Time = what gb_set_iteration_time reports; excludes real time. */
int gb_use_manual_time(struct gb_bench *b) GB_NOEXCEPT;
int gb_use_real_time(struct gb_bench *b) GB_NOEXCEPT;

/* A key/value in the output's "context" object (AddCustomContext). Keys
 * the library writes itself ("date", "num_cpus", ...) and duplicates are
 * refused. */
int gb_add_context(const char *key, const char *value) GB_NOEXCEPT;

/* Run the selected benchmarks. argv[0] is the program name; the array is
 * not modified. Returns 0 on success; 1 if a benchmark reported an error,
 * none ran (filter matched nothing, output file not writable) or the
 * output could not be renamed into place; 2 for arguments it does not
 * understand or an unknown format. --help prints usage and exits 0 (the
 * library does). Call once per process. */
int gb_run(int argc, char **argv) GB_NOEXCEPT;

/* Keep the --benchmark_out file even when some benchmarks reported an
 * error (gb_run still returns 1): the file is then complete, its errored
 * runs carry "error_occurred": true and their message. For a suite that
 * reports configurations it cannot measure instead of dropping them.
 * Off by default: a failed run leaves no file. Call before gb_run. */
void gb_keep_output_on_error(bool keep) GB_NOEXCEPT;
/* Benchmark runs (per thread) of the last gb_run that ended in error. */
size_t gb_runs_failed(void) GB_NOEXCEPT;

/* ---- inside a benchmark function ---------------------------------- */

bool gb_keep_running(struct gb_state *st) GB_NOEXCEPT;
/* Argument i of this case; out of range: 0 and the run becomes an error. */
int64_t gb_arg_value(struct gb_state *st, size_t i) GB_NOEXCEPT;
void *gb_user(struct gb_state *st) GB_NOEXCEPT;
int64_t gb_iterations_done(struct gb_state *st) GB_NOEXCEPT;
int gb_thread_index(struct gb_state *st) GB_NOEXCEPT;

void gb_pause_timing(struct gb_state *st) GB_NOEXCEPT;
void gb_resume_timing(struct gb_state *st) GB_NOEXCEPT;
/* Manual time of this iteration; negative or non-finite: error. */
void gb_set_iteration_time(struct gb_state *st, double seconds) GB_NOEXCEPT;

void gb_set_items_processed(struct gb_state *st, int64_t items) GB_NOEXCEPT;
void gb_set_bytes_processed(struct gb_state *st, int64_t bytes) GB_NOEXCEPT;
/* Set user counter `name`. -1 (counter not set, warning once per run) for
 * a non-finite value, unknown flags, or a name the reporter uses itself
 * ("name", "real_time", "items_per_second", ...). */
int gb_counter(struct gb_state *st, const char *name, double value,
	       unsigned flags) GB_NOEXCEPT;
void gb_set_label(struct gb_state *st, const char *label) GB_NOEXCEPT;
/* End this run as an error with `message`; gb_keep_running returns false. */
void gb_skip_with_error(struct gb_state *st, const char *message) GB_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
