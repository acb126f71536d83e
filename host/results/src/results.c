/*
 * Results writer: validate, summarise, write to temporaries, then commit
 * by fsync + rename so a directory never holds a half-written file.
 */
#define _GNU_SOURCE
#include "results/results.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "results/atomic_file.h"
#include "results/provenance.h"
#include "results/stats.h"

#ifndef RMEB_VERSION
#define RMEB_VERSION "unknown"
#endif

enum meta_extra_kind { EXTRA_STRING, EXTRA_U64, EXTRA_DOUBLE, EXTRA_TREE };

struct meta_extra {
	char *key;
	enum meta_extra_kind kind;
	char *string;
	uint64_t u64;
	double dbl;
	struct json_value *tree;
};

/* A lifecycle phase as summary.json writes it (names strdup'd). */
struct phase_summary {
	char *phase;
	uint64_t bytes, total_ns, rmi_calls;
	int measured;
	struct results_count *counts, *stages;
	size_t n_counts, n_stages;
};

/* What summary.json needs of a run, computed at results_add_run. */
struct run_summary {
	char *vm, *pattern, *policy, *abi, *page, *source;
	uint64_t size, total_ns, dropped;
	uint32_t vcpus;
	size_t n_faults;
	struct results_count *counts; /* names strdup'd */
	size_t n_counts;
	struct results_extra *extra;  /* names strdup'd */
	size_t n_extra;
	uint64_t kinds[FAULT_KIND_COUNT];
	uint64_t rmi_calls;
	uint64_t time_step_ns; /* the step the fault times take (stats_time_step) */
	struct sample_stats fault_ns;
	bool has_stage[STAGE_COUNT];
	struct sample_stats stages[STAGE_COUNT];
	struct phase_summary *phases; /* lifecycle phases (may be none) */
	size_t n_phases;
	bool sampled;                 /* faults.csv holds a sample of n_rows */
	size_t n_rows;
};

struct results_writer {
	char *dir;
	/* meta */
	char *backend, *abi, *policy, *profile, *source;
	char **argv;
	int argc;
	struct timespec start_time;
	struct json_value *host; /* the measured host (results_meta.host_json), or NULL */
	struct stage_clock_info clock;
	char *clock_source, *clock_note;
	bool overwrite;
	int lock_fd;          /* DIR, flock()ed while this writer lives */
	struct meta_extra *extras;
	size_t n_extras;
	/* faults.csv, streamed */
	char *faults_tmp;
	FILE *faults;
	/* runs */
	struct run_summary *runs;
	size_t n_runs, cap_runs;
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	if (err && err_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *path_join(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* mkdir -p for DIR. */
static int make_dirs(const char *dir, char *err, size_t err_len)
{
	char *copy = strdup(dir);
	if (!copy)
		return fail(err, err_len, "out of memory");
	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
				int e = errno;
				free(copy);
				return fail(err, err_len, "cannot create directory %s: %s", dir, strerror(e));
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	free(copy);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(err, err_len, "%s is not a directory", dir);
	return 0;
}

/* A temporary for DIR/NAME beside it (trace/atomic_file.h). */
static FILE *open_temp(const char *dir, const char *name, char **tmp_path, char *err, size_t err_len)
{
	char *final = path_join(dir, name);
	if (!final) {
		fail(err, err_len, "out of memory");
		return NULL;
	}
	FILE *f = atomic_file_open(final, tmp_path, err, err_len);
	free(final);
	return f;
}

static void write_faults_header(FILE *f)
{
	fputs("run,vcpu,ipa,kind,level,total_ns", f);
	for (int s = 0; s < STAGE_COUNT; s++)
		fprintf(f, ",%s", stage_name((enum stage)s));
	fputs(",rmi_calls\n", f);
}

bool results_source_known(const char *s)
{
	return s && (strcmp(s, RESULTS_SOURCE_SIM_MEASURED) == 0 ||
		     strcmp(s, RESULTS_SOURCE_MODELED) == 0 ||
		     strcmp(s, RESULTS_SOURCE_REAL_VM) == 0);
}

static void free_meta_extra(struct meta_extra *e)
{
	free(e->key);
	free(e->string);
	json_value_free(e->tree);
}

static void free_counts(struct results_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)c[i].name);
	free(c);
}

/* Deep copy (names strdup'd); 0, or -1 out of memory (*dst then holds
 * what was copied, for free_counts). */
static int copy_counts(struct results_count **dst, size_t *n_dst,
		       const struct results_count *src, size_t n)
{
	*dst = NULL;
	*n_dst = 0;
	if (!n)
		return 0;
	if (!(*dst = calloc(n, sizeof(**dst))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i].count = src[i].count;
		if (!((*dst)[i].name = strdup(src[i].name)))
			return -1;
		(*n_dst)++;
	}
	return 0;
}

static void free_phases(struct phase_summary *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].phase);
		free_counts(p[i].counts, p[i].n_counts);
		free_counts(p[i].stages, p[i].n_stages);
	}
	free(p);
}

static void free_run(struct run_summary *r)
{
	free(r->vm);
	free(r->pattern);
	free(r->policy);
	free(r->abi);
	free(r->page);
	free(r->source);
	free_counts(r->counts, r->n_counts);
	free_phases(r->phases, r->n_phases);
	for (size_t i = 0; i < r->n_extra; i++)
		free((char *)r->extra[i].name);
	free(r->extra);
}

static void free_writer(struct results_writer *w)
{
	if (!w)
		return;
	if (w->faults)
		fclose(w->faults);
	atomic_file_release(w->faults_tmp, true);
	if (w->lock_fd >= 0)
		close(w->lock_fd); /* releases the lock */
	free(w->dir);
	free(w->backend);
	free(w->abi);
	free(w->policy);
	free(w->profile);
	free(w->source);
	for (int i = 0; i < w->argc; i++)
		free(w->argv[i]);
	free(w->argv);
	free(w->clock_source);
	free(w->clock_note);
	json_value_free(w->host);
	for (size_t i = 0; i < w->n_extras; i++)
		free_meta_extra(&w->extras[i]);
	free(w->extras);
	for (size_t i = 0; i < w->n_runs; i++)
		free_run(&w->runs[i]);
	free(w->runs);
	free(w);
}

void results_discard(struct results_writer *w)
{
	free_writer(w);
}

static int copy_meta(struct results_writer *w, const struct results_meta *meta)
{
	w->backend = dup_or_null(meta->backend);
	w->abi = dup_or_null(meta->abi);
	w->policy = dup_or_null(meta->policy);
	w->profile = dup_or_null(meta->profile);
	w->source = dup_or_null(meta->source);
	if (meta->argc > 0) {
		w->argv = calloc((size_t)meta->argc, sizeof(*w->argv));
		if (!w->argv)
			return -1;
		w->argc = meta->argc;
		for (int i = 0; i < meta->argc; i++) {
			const char *arg = meta->argv[i] ? meta->argv[i] : "";
			/* Program name without its directory: paths can name users. */
			if (i == 0 && strrchr(arg, '/'))
				arg = strrchr(arg, '/') + 1;
			if (!(w->argv[i] = strdup(arg)))
				return -1;
		}
	}
	w->start_time = meta->start_time;
	if (w->start_time.tv_sec == 0 && w->start_time.tv_nsec == 0)
		clock_gettime(CLOCK_REALTIME, &w->start_time);
	w->clock = meta->clock ? *meta->clock : *stage_clock_info();
	/* Own the strings: the info may be recalibrated after open. */
	w->clock_source = dup_or_null(w->clock.source);
	w->clock_note = dup_or_null(w->clock.note);
	w->overwrite = meta->overwrite;
	if (meta->host_json) {
		struct json_error jerr;
		w->host = json_parse(meta->host_json, strlen(meta->host_json), &jerr);
		if (!w->host || w->host->type != JSON_OBJECT)
			return -1;
	}
	if (!w->backend || !w->abi || !w->policy || !w->source ||
	    (meta->profile && !w->profile) || (w->clock.source && !w->clock_source) ||
	    (w->clock.note && !w->clock_note))
		return -1;
	return 0;
}

const char *results_dir_holds(const char *dir)
{
	static const char *const names[] = { "summary.json", "faults.csv", "meta.json" };
	bool has[3];

	for (size_t i = 0; i < 3; i++) {
		char *p = path_join(dir, names[i]);
		struct stat st;
		has[i] = p && lstat(p, &st) == 0;
		free(p);
	}
	if (has[0])
		return "results (summary.json)";
	if (has[1] || has[2])
		return "a partial run (faults.csv or meta.json without summary.json)";
	return NULL;
}

/* One writer per directory: a second run with the same --out is refused
 * (EBUSY), not interleaved into a directory that mixes both. */
static int lock_dir(struct results_writer *w, char *err, size_t err_len)
{
	w->lock_fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->lock_fd < 0 || flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			fail(err, err_len, "%s is being written by another run (locked); choose "
			     "another directory", w->dir);
		else
			fail(err, err_len, "cannot lock %s: %s", w->dir, strerror(e));
		free_writer(w);
		errno = e == EWOULDBLOCK ? EBUSY : e;
		return -1;
	}
	return 0;
}

struct results_writer *results_open(const char *dir, const struct results_meta *meta,
				    char *err, size_t err_len)
{
	if (!dir || !*dir || !meta) {
		fail(err, err_len, "%s", !meta ? "no meta given" : "the results directory name is empty");
		errno = EINVAL;
		return NULL;
	}
	const char *required[][2] = { { "backend", meta->backend }, { "abi", meta->abi },
				      { "policy", meta->policy }, { "source", meta->source } };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!required[i][1] || !*required[i][1]) {
			fail(err, err_len, "results: meta field \"%s\" is required", required[i][0]);
			return NULL;
		}
	}
	if (!results_source_known(meta->source)) {
		fail(err, err_len, "results: unknown data source \"%s\" (expected %s, %s or %s)",
		     meta->source, RESULTS_SOURCE_SIM_MEASURED, RESULTS_SOURCE_MODELED,
		     RESULTS_SOURCE_REAL_VM);
		return NULL;
	}
	if (meta->argc < 0 || (meta->argc > 0 && !meta->argv)) {
		fail(err, err_len, "results: invalid command line");
		return NULL;
	}
	if (make_dirs(dir, err, err_len) != 0)
		return NULL;
	struct results_writer *w = calloc(1, sizeof(*w));
	if (!w || (w->lock_fd = -1, !(w->dir = strdup(dir))) || copy_meta(w, meta) != 0) {
		fail(err, err_len, "out of memory");
		free_writer(w);
		errno = ENOMEM;
		return NULL;
	}
	if (lock_dir(w, err, err_len) != 0)
		return NULL;
	const char *holds = results_dir_holds(dir);
	if (holds && !meta->overwrite) {
		fail(err, err_len, "%s already holds %s; choose a new directory or move it aside",
		     dir, holds);
		free_writer(w);
		errno = EEXIST;
		return NULL;
	}
	w->faults = open_temp(dir, "faults.csv", &w->faults_tmp, err, err_len);
	if (!w->faults) {
		free_writer(w);
		return NULL;
	}
	/* Large buffer: rows are small and many. */
	setvbuf(w->faults, NULL, _IOFBF, 1 << 20);
	write_faults_header(w->faults);
	return w;
}

/* ---- meta extras ---- */

static struct meta_extra *new_extra(struct results_writer *w, const char *key,
				    char *err, size_t err_len)
{
	if (!key || !*key) {
		fail(err, err_len, "results: empty meta key");
		return NULL;
	}
	for (size_t i = 0; i < w->n_extras; i++) {
		if (strcmp(w->extras[i].key, key) == 0) {
			fail(err, err_len, "results: meta key \"%s\" given twice", key);
			return NULL;
		}
	}
	struct meta_extra *grown = realloc(w->extras, (w->n_extras + 1) * sizeof(*grown));
	if (!grown) {
		fail(err, err_len, "out of memory");
		return NULL;
	}
	w->extras = grown;
	struct meta_extra *e = &w->extras[w->n_extras];
	memset(e, 0, sizeof(*e));
	if (!(e->key = strdup(key))) {
		fail(err, err_len, "out of memory");
		return NULL;
	}
	w->n_extras++;
	return e;
}

int results_meta_add_string(struct results_writer *w, const char *key, const char *value,
			    char *err, size_t err_len)
{
	if (!value)
		return fail(err, err_len, "results: meta key \"%s\" has no value", key ? key : "");
	struct meta_extra *e = new_extra(w, key, err, err_len);
	if (!e)
		return -1;
	e->kind = EXTRA_STRING;
	if (!(e->string = strdup(value))) {
		free_meta_extra(e);
		w->n_extras--;
		return fail(err, err_len, "out of memory");
	}
	return 0;
}

int results_meta_add_u64(struct results_writer *w, const char *key, uint64_t value,
			 char *err, size_t err_len)
{
	struct meta_extra *e = new_extra(w, key, err, err_len);
	if (!e)
		return -1;
	e->kind = EXTRA_U64;
	e->u64 = value;
	return 0;
}

int results_meta_add_double(struct results_writer *w, const char *key, double value,
			    char *err, size_t err_len)
{
	struct meta_extra *e = new_extra(w, key, err, err_len);
	if (!e)
		return -1;
	e->kind = EXTRA_DOUBLE;
	e->dbl = value;
	return 0;
}

int results_meta_add_json(struct results_writer *w, const char *key, const char *json_text,
			  char *err, size_t err_len)
{
	if (!json_text)
		return fail(err, err_len, "results: meta key \"%s\" has no value", key ? key : "");
	struct json_error jerr;
	struct json_value *tree = json_parse(json_text, strlen(json_text), &jerr);
	if (!tree)
		return fail(err, err_len, "results: meta key \"%s\": invalid JSON at %d:%d: %s",
			    key ? key : "", jerr.line, jerr.column, jerr.message);
	struct meta_extra *e = new_extra(w, key, err, err_len);
	if (!e) {
		json_value_free(tree);
		return -1;
	}
	e->kind = EXTRA_TREE;
	e->tree = tree;
	return 0;
}

/* ---- runs ---- */

bool results_label_ok(const char *label)
{
	size_t n = label ? strlen(label) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)label[i]) && !strchr("._+-", label[i]))
			return false;
	return true;
}

uint64_t results_page_bytes(const char *page)
{
	if (!page || !isdigit((unsigned char)page[0]) || page[0] == '0')
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(page, &end, 10);
	unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	if (errno || !shift || end[1] || v > (1ull << 20))
		return 0;
	uint64_t bytes = (uint64_t)v << shift;
	/* A page is a power of two from 4 KiB to 1 GiB ("3K" is none). */
	if (bytes < 4096 || bytes > (1ull << 30) || (bytes & (bytes - 1)))
		return 0;
	return bytes;
}

static int validate_run(const struct results_run *run, char *err, size_t err_len)
{
	const char *strings[][2] = { { "vm", run->vm }, { "pattern", run->pattern },
				     { "policy", run->policy }, { "abi", run->abi },
				     { "page", run->page }, { "source", run->source } };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!strings[i][1] || !*strings[i][1])
			return fail(err, err_len, "results: run field \"%s\" is required", strings[i][0]);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!results_label_ok(strings[i][1]))
			return fail(err, err_len, "results: run field \"%s\" (\"%.64s\") is not 1-64 "
				    "characters of A-Z a-z 0-9 . _ + -", strings[i][0], strings[i][1]);
	if (!results_page_bytes(run->page))
		return fail(err, err_len, "results: page \"%s\" is not a page size like 4K or 2M", run->page);
	if (!results_source_known(run->source))
		return fail(err, err_len, "results: unknown data source \"%s\"", run->source);
	if (run->vcpus == 0)
		return fail(err, err_len, "results: a run needs at least one vCPU");
	if ((run->n_faults && !run->faults) || (run->n_counts && !run->counts) ||
	    (run->n_extra && !run->extra) || (run->n_phases && !run->phases))
		return fail(err, err_len, "results: run arrays missing");
	if (run->hist && run->hist->n < run->n_faults)
		return fail(err, err_len, "results: %zu sampled rows but %llu faults in all",
			    run->n_faults, (unsigned long long)run->hist->n);
	for (size_t i = 0; i < run->n_phases; i++) {
		const struct results_phase *ph = &run->phases[i];
		if (!ph->phase || (strcmp(ph->phase, "populate") && strcmp(ph->phase, "fault") &&
				   strcmp(ph->phase, "teardown")))
			return fail(err, err_len, "results: phase %zu is not populate, fault "
				    "or teardown", i);
		if ((ph->n_counts && !ph->counts) || (ph->n_stages && !ph->stages))
			return fail(err, err_len, "results: phase %s arrays missing", ph->phase);
	}
	for (size_t i = 0; i < run->n_faults; i++) {
		const struct fault_record *f = &run->faults[i];
		if (f->kind >= FAULT_KIND_COUNT)
			return fail(err, err_len, "results: fault %zu has invalid kind %u", i, f->kind);
		if (f->vcpu >= run->vcpus)
			return fail(err, err_len, "results: fault %zu is on vCPU %u but the run has %u",
				    i, f->vcpu, run->vcpus);
	}
	for (size_t i = 0; i < run->n_counts; i++) {
		if (!run->counts[i].name || !*run->counts[i].name)
			return fail(err, err_len, "results: count %zu has no name", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(run->counts[i].name, run->counts[j].name) == 0)
				return fail(err, err_len, "results: count \"%s\" given twice",
					    run->counts[i].name);
	}
	for (size_t i = 0; i < run->n_extra; i++) {
		if (!run->extra[i].name || !*run->extra[i].name)
			return fail(err, err_len, "results: extra field %zu has no name", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(run->extra[i].name, run->extra[j].name) == 0)
				return fail(err, err_len, "results: extra field \"%s\" given twice",
					    run->extra[i].name);
	}
	return 0;
}

static void write_fault_rows(FILE *f, size_t run_id, const struct results_run *run)
{
	for (size_t i = 0; i < run->n_faults; i++) {
		const struct fault_record *r = &run->faults[i];
		fprintf(f, "%zu,%" PRIu32 ",0x%" PRIx64 ",%s,%u,%" PRIu64, run_id, r->vcpu, r->ipa,
			fault_kind_name((enum fault_kind)r->kind), r->level, r->total_ns);
		for (int s = 0; s < STAGE_COUNT; s++)
			fprintf(f, ",%" PRIu32, r->stage_ns[s]);
		fprintf(f, ",%u\n", r->rmi_calls);
	}
}

/* Per-stage and per-fault statistics; SCRATCH holds n_faults values. */
static void summarise_faults(struct run_summary *sum, const struct results_run *run,
			     uint64_t *scratch, double clock_resolution_ns)
{
	size_t n = run->n_faults;
	for (size_t i = 0; i < n; i++) {
		scratch[i] = run->faults[i].total_ns;
		sum->kinds[run->faults[i].kind]++;
		sum->rmi_calls += run->faults[i].rmi_calls;
	}
	if (n) {
		/* The CI honours the coarser of the clock's step and the step
		 * the recorded times take: no interval narrower than either. */
		sum->time_step_ns = stats_time_step(scratch, n);
		stats_summarize(scratch, n, &sum->fault_ns);
		double res = (double)sum->time_step_ns;
		stats_widen_ci(&sum->fault_ns, res > clock_resolution_ns ? res : clock_resolution_ns);
	}
	/* A stage "occurred" in a fault when time was attributed to it. */
	for (int s = 0; s < STAGE_COUNT; s++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (run->faults[i].stage_ns[s])
				scratch[m++] = run->faults[i].stage_ns[s];
		if (m) {
			sum->has_stage[s] = true;
			stats_summarize(scratch, m, &sum->stages[s]);
		}
	}
}

/* Distribution from a histogram: the CI of the median needs the samples,
 * so a sampled run has none (null). */
static void stats_from_histogram(const struct histogram *h, struct sample_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->n = h->count;
	if (!h->count)
		return;
	st->min = h->min;
	st->max = h->max;
	st->p50 = histogram_percentile(h, STATS_PPM(50));
	st->p90 = histogram_percentile(h, STATS_PPM(90));
	st->p99 = histogram_percentile(h, STATS_PPM(99));
	st->p999 = histogram_percentile(h, STATS_PPM(99.9));
	st->mean = h->sum / (double)h->count;
}

/* A sampled run: exact counts and histogram distributions (see
 * results_fault_hist); SCRATCH holds n_faults values. */
static void summarise_hist(struct run_summary *sum, const struct results_run *run,
			   uint64_t *scratch)
{
	const struct results_fault_hist *h = run->hist;

	/* The step of the recorded times, from the sampled rows. */
	for (size_t i = 0; i < run->n_faults; i++)
		scratch[i] = run->faults[i].total_ns;
	sum->time_step_ns = stats_time_step(scratch, run->n_faults);

	sum->sampled = true;
	sum->n_rows = run->n_faults;
	sum->n_faults = h->n;
	sum->rmi_calls = h->rmi_calls;
	memcpy(sum->kinds, h->kinds, sizeof(sum->kinds));
	stats_from_histogram(&h->fault_ns, &sum->fault_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		if (h->stages[s].count) {
			sum->has_stage[s] = true;
			stats_from_histogram(&h->stages[s], &sum->stages[s]);
		}
}

static int copy_run_identity(struct run_summary *sum, const struct results_run *run)
{
	sum->vm = strdup(run->vm);
	sum->pattern = strdup(run->pattern);
	sum->policy = strdup(run->policy);
	sum->abi = strdup(run->abi);
	sum->page = strdup(run->page);
	sum->source = strdup(run->source);
	sum->size = run->size;
	sum->vcpus = run->vcpus;
	sum->n_faults = run->n_faults;
	sum->dropped = run->dropped_faults;
	sum->total_ns = run->total_ns;
	if (!sum->vm || !sum->pattern || !sum->policy || !sum->abi || !sum->page || !sum->source)
		return -1;
	if (copy_counts(&sum->counts, &sum->n_counts, run->counts, run->n_counts))
		return -1;
	if (run->n_phases) {
		if (!(sum->phases = calloc(run->n_phases, sizeof(*sum->phases))))
			return -1;
		for (size_t i = 0; i < run->n_phases; i++) {
			const struct results_phase *ph = &run->phases[i];
			struct phase_summary *d = &sum->phases[sum->n_phases++];
			d->bytes = ph->bytes;
			d->total_ns = ph->total_ns;
			d->rmi_calls = ph->rmi_calls;
			d->measured = ph->measured;
			if (!(d->phase = strdup(ph->phase)) ||
			    copy_counts(&d->counts, &d->n_counts, ph->counts, ph->n_counts) ||
			    copy_counts(&d->stages, &d->n_stages, ph->stages, ph->n_stages))
				return -1;
		}
	}
	if (run->n_extra) {
		if (!(sum->extra = calloc(run->n_extra, sizeof(*sum->extra))))
			return -1;
		sum->n_extra = run->n_extra;
		for (size_t i = 0; i < run->n_extra; i++) {
			sum->extra[i].value = run->extra[i].value;
			if (!(sum->extra[i].name = strdup(run->extra[i].name)))
				return -1;
		}
	}
	return 0;
}

int results_add_run(struct results_writer *w, const struct results_run *run,
		    char *err, size_t err_len)
{
	if (!w || !run)
		return fail(err, err_len, "results: no writer or no run");
	if (!w->faults)
		return fail(err, err_len, "results: writer already failed");
	if (validate_run(run, err, err_len) != 0)
		return -1;
	if (w->n_runs == w->cap_runs) {
		size_t cap = w->cap_runs ? w->cap_runs * 2 : 8;
		struct run_summary *grown = realloc(w->runs, cap * sizeof(*grown));
		if (!grown)
			return fail(err, err_len, "out of memory");
		w->runs = grown;
		w->cap_runs = cap;
	}
	struct run_summary *sum = &w->runs[w->n_runs];
	memset(sum, 0, sizeof(*sum));
	size_t n_scratch = run->n_faults;
	uint64_t *scratch = n_scratch ? malloc(n_scratch * sizeof(*scratch)) : NULL;
	if ((n_scratch && !scratch) || copy_run_identity(sum, run) != 0) {
		free(scratch);
		free_run(sum);
		return fail(err, err_len, "out of memory");
	}
	if (run->hist)
		summarise_hist(sum, run, scratch);
	else
		summarise_faults(sum, run, scratch, w->clock.resolution_ns);
	free(scratch);
	errno = 0;
	write_fault_rows(w->faults, w->n_runs, run);
	if (ferror(w->faults)) {
		int e = errno;
		free_run(sum);
		return fail(err, err_len, "cannot write faults.csv in %s: %s", w->dir,
			    e ? strerror(e) : "I/O error");
	}
	return (int)w->n_runs++;
}

/* ---- summary.json ---- */

static void write_dist(struct json_writer *jw, const struct sample_stats *st, bool with_ci)
{
	json_begin_object(jw);
	json_member_u64(jw, "n", st->n);
	if (st->n == 0) {
		const char *keys[] = { "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns",
				       "max_ns", "mean_ns" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			json_key(jw, keys[i]);
			json_null(jw);
		}
	} else {
		json_member_u64(jw, "min_ns", st->min);
		json_member_u64(jw, "p50_ns", st->p50);
		json_member_u64(jw, "p90_ns", st->p90);
		json_member_u64(jw, "p99_ns", st->p99);
		json_member_u64(jw, "p999_ns", st->p999);
		json_member_u64(jw, "max_ns", st->max);
		json_member_double(jw, "mean_ns", st->mean);
	}
	if (with_ci) {
		json_key(jw, "p50_ci_low_ns");
		st->has_p50_ci ? json_u64(jw, st->p50_ci_low) : json_null(jw);
		json_key(jw, "p50_ci_high_ns");
		st->has_p50_ci ? json_u64(jw, st->p50_ci_high) : json_null(jw);
	}
	json_end_object(jw);
}

static void write_count_object(struct json_writer *jw, const char *key,
			       const struct results_count *c, size_t n)
{
	json_key(jw, key);
	json_begin_object(jw);
	for (size_t i = 0; i < n; i++)
		json_member_u64(jw, c[i].name, c[i].count);
	json_end_object(jw);
}

/* Per MiB of the phase's bytes (null when it covered none). */
static void write_per_mib(struct json_writer *jw, const char *key, uint64_t value,
			  uint64_t bytes)
{
	json_key(jw, key);
	if (bytes)
		json_double(jw, (double)value * (double)(1ULL << 20) / (double)bytes);
	else
		json_null(jw);
}

static void write_phase(struct json_writer *jw, const struct phase_summary *p)
{
	json_begin_object(jw);
	json_member_string(jw, "phase", p->phase);
	json_member_u64(jw, "bytes", p->bytes);
	json_member_u64(jw, "total_ns", p->total_ns);
	json_member_u64(jw, "rmi_calls", p->rmi_calls);
	write_per_mib(jw, "rmi_calls_per_mib", p->rmi_calls, p->bytes);
	write_per_mib(jw, "ns_per_mib", p->total_ns, p->bytes);
	if (p->measured >= 0) {
		json_key(jw, "measured");
		json_bool(jw, p->measured != 0);
	}
	write_count_object(jw, "counts", p->counts, p->n_counts);
	write_count_object(jw, "stages_ns", p->stages, p->n_stages);
	json_end_object(jw);
}

static void write_run(struct json_writer *jw, const struct run_summary *r)
{
	json_begin_object(jw);
	json_member_string(jw, "vm", r->vm);
	json_member_string(jw, "pattern", r->pattern);
	json_member_string(jw, "policy", r->policy);
	json_member_string(jw, "abi", r->abi);
	json_member_string(jw, "page", r->page);
	json_member_u64(jw, "size", r->size);
	json_member_u64(jw, "vcpus", r->vcpus);
	json_member_string(jw, "source", r->source);
	json_member_u64(jw, "faults", r->n_faults);
	if (r->sampled)
		json_member_u64(jw, "faults_sampled", r->n_rows);
	json_member_u64(jw, "dropped_faults", r->dropped);
	json_member_u64(jw, "total_ns", r->total_ns);
	json_member_double(jw, "faults_per_sec",
			   r->total_ns ? (double)r->n_faults * 1e9 / (double)r->total_ns : NAN);
	json_member_u64(jw, "rmi_calls", r->rmi_calls);
	json_member_u64(jw, "time_step_ns", r->time_step_ns);
	write_count_object(jw, "counts", r->counts, r->n_counts);
	json_key(jw, "kinds");
	json_begin_object(jw);
	for (int k = 0; k < FAULT_KIND_COUNT; k++)
		if (r->kinds[k])
			json_member_u64(jw, fault_kind_name((enum fault_kind)k), r->kinds[k]);
	json_end_object(jw);
	json_key(jw, "fault_ns");
	write_dist(jw, &r->fault_ns, true);
	json_key(jw, "stages");
	json_begin_object(jw);
	for (int s = 0; s < STAGE_COUNT; s++) {
		if (!r->has_stage[s])
			continue;
		json_key(jw, stage_name((enum stage)s));
		write_dist(jw, &r->stages[s], false);
	}
	json_end_object(jw);
	json_key(jw, "extra");
	json_begin_object(jw);
	for (size_t i = 0; i < r->n_extra; i++)
		json_member_double(jw, r->extra[i].name, r->extra[i].value);
	json_end_object(jw);
	if (r->n_phases) {
		json_key(jw, "phases");
		json_begin_array(jw);
		for (size_t i = 0; i < r->n_phases; i++)
			write_phase(jw, &r->phases[i]);
		json_end_array(jw);
	}
	json_end_object(jw);
}

static void write_summary(struct json_writer *jw, const struct results_writer *w)
{
	json_begin_object(jw);
	json_member_u64(jw, "schema", RESULTS_SCHEMA_VERSION);
	json_key(jw, "runs");
	json_begin_array(jw);
	for (size_t i = 0; i < w->n_runs; i++)
		write_run(jw, &w->runs[i]);
	json_end_array(jw);
	json_end_object(jw);
}

/* ---- meta.json ---- */

static void write_time_source(struct json_writer *jw, const struct results_writer *w)
{
	json_begin_object(jw);
	json_member_string(jw, "source", w->clock_source);
	json_member_double(jw, "ticks_per_ns", w->clock.ticks_per_ns);
	json_member_u64(jw, "freq_hz", w->clock.freq_hz);
	json_member_double(jw, "resolution_ns", w->clock.resolution_ns);
	json_member_double(jw, "read_cost_ns", w->clock.read_cost_ns);
	json_member_bool(jw, "invariant", w->clock.invariant);
	json_member_double(jw, "calibration_error_ppm", w->clock.calibration_error_ppm);
	json_member_string(jw, "note", w->clock_note);
	json_end_object(jw);
}

static void write_meta(struct json_writer *jw, const struct results_writer *w)
{
	char start[64];
	results_format_utc(&w->start_time, start, sizeof(start));
	json_begin_object(jw);
	json_member_u64(jw, "schema", RESULTS_SCHEMA_VERSION);
	json_member_string(jw, "tool", "rme-bench");
	json_member_string(jw, "tool_version", RMEB_VERSION);
	json_member_string(jw, "git_rev", results_git_rev());
	if (results_git_dirty() < 0)
		json_member_string(jw, "git_dirty", NULL);
	else
		json_member_bool(jw, "git_dirty", results_git_dirty() == 1);
	json_member_string(jw, "source", w->source);
	json_member_string(jw, "backend", w->backend);
	json_member_string(jw, "abi", w->abi);
	json_member_string(jw, "policy", w->policy);
	json_member_string(jw, "profile", w->profile);
	json_member_string(jw, "start_time", start);
	/* Written as read, but never passed off as the time of the run. */
	json_member_bool(jw, "start_time_plausible", results_wall_clock_plausible(&w->start_time));
	json_key(jw, "command_line");
	json_begin_array(jw);
	for (int i = 0; i < w->argc; i++)
		json_string(jw, w->argv[i]);
	json_end_array(jw);
	json_key(jw, "host");
	if (w->host)
		json_write_value(jw, w->host);
	else
		results_write_host(jw, "");
	json_key(jw, "time_source");
	write_time_source(jw, w);
	json_key(jw, "extra");
	json_begin_object(jw);
	for (size_t i = 0; i < w->n_extras; i++) {
		const struct meta_extra *e = &w->extras[i];
		json_key(jw, e->key);
		switch (e->kind) {
		case EXTRA_STRING: json_string(jw, e->string); break;
		case EXTRA_U64: json_u64(jw, e->u64); break;
		case EXTRA_DOUBLE: json_double(jw, e->dbl); break;
		case EXTRA_TREE: json_write_value(jw, e->tree); break;
		}
	}
	json_end_object(jw);
	json_end_object(jw);
}

/* ---- commit ---- */

typedef void (*json_fill_fn)(struct json_writer *, const struct results_writer *);

static int write_json_temp(struct results_writer *w, const char *name, json_fill_fn fill,
			   char **tmp_path, char *err, size_t err_len)
{
	FILE *f = open_temp(w->dir, name, tmp_path, err, err_len);
	if (!f)
		return -1;
	struct json_writer jw;
	json_writer_init(&jw, f, true);
	fill(&jw, w);
	errno = 0;
	if (json_writer_finish(&jw) != 0) {
		int e = errno;
		fclose(f);
		fail(err, err_len, "cannot write %s in %s: %s", name, w->dir,
		     e ? strerror(e) : "I/O error");
		return -1;
	}
	return atomic_file_sync_close(f, name, err, err_len);
}

int results_commit(struct results_writer *w, char *err, size_t err_len)
{
	if (!w)
		return fail(err, err_len, "results: no writer");
	char *meta_tmp = NULL, *summary_tmp = NULL;
	char *final_faults = path_join(w->dir, "faults.csv");
	char *final_meta = path_join(w->dir, "meta.json");
	char *final_summary = path_join(w->dir, "summary.json");
	int rc = -1;
	if (!final_faults || !final_meta || !final_summary) {
		fail(err, err_len, "out of memory");
		goto out;
	}
	FILE *faults = w->faults;
	w->faults = NULL;
	if (atomic_file_sync_close(faults, "faults.csv", err, err_len) != 0)
		goto out;
	if (write_json_temp(w, "meta.json", write_meta, &meta_tmp, err, err_len) != 0 ||
	    write_json_temp(w, "summary.json", write_summary, &summary_tmp, err, err_len) != 0)
		goto out;
	/*
	 * summary.json marks a complete directory: retire the old one first,
	 * install the new one last, so a crash in between never pairs new
	 * faults with an old summary.
	 */
	if (w->overwrite) {
		if (unlink(final_summary) != 0 && errno != ENOENT) {
			fail(err, err_len, "cannot remove old %s: %s", final_summary, strerror(errno));
			goto out;
		}
		if (atomic_file_sync_dir(w->dir) != 0) {
			fail(err, err_len, "cannot sync %s: %s", w->dir, strerror(errno));
			goto out;
		}
	}
	if (rename(w->faults_tmp, final_faults) != 0 || rename(meta_tmp, final_meta) != 0 ||
	    rename(summary_tmp, final_summary) != 0) {
		fail(err, err_len, "cannot rename results into %s: %s", w->dir, strerror(errno));
		goto out;
	}
	if (atomic_file_sync_dir(w->dir) != 0) {
		fail(err, err_len, "cannot sync %s: %s", w->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	/* Temporaries that were renamed no longer exist: unlink is harmless. */
	atomic_file_release(meta_tmp, true);
	atomic_file_release(summary_tmp, true);
	free(final_faults);
	free(final_meta);
	free(final_summary);
	free_writer(w);
	return rc;
}
