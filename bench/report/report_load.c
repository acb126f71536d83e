/*
 * Loading a results directory with its raw samples, cross-checked so a
 * partial or corrupt directory is an error, never a wrong figure.
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "kvm/policy.h"
#include "results/provenance.h"
#include "results/input_file.h"

const char *const report_key_names[REPORT_KEY_COUNT] = {
	"vm", "pattern", "policy", "abi", "page", "size", "vcpus",
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Fields of a faults.csv row: the schema's ~21 and the instruction counts. */
#define REPORT_MAX_FIELDS 128

/* Where each needed value sits in a faults.csv row. */
struct csv_layout {
	size_t n_fields;
	int run, vcpu, kind, total, rmi_calls; /* rmi_calls: -1 when absent */
	int stage[STAGE_COUNT];
	int count[REPORT_MAX_COUNT_COLS]; /* field of report_dir.count_name[i] */
	size_t n_count;
};

/* What the rows of one run add up to, to hold its summary against. */
struct row_tally {
	uint64_t kinds[FAULT_KIND_COUNT];
	uint64_t rmi_calls;
};

/* An emulated instruction count column (`rme-bench insn merge`)? */
static bool is_count_column(const char *name)
{
	return !strncmp(name, "insn_", 5) || !strncmp(name, "op_", 3);
}

int report_count_index(const struct report_dir *d, const char *name)
{
	for (size_t i = 0; i < d->n_count; i++)
		if (!strcmp(d->count_name[i], name))
			return (int)i;
	return -1;
}

static int parse_header(struct report_dir *d, char *line, struct csv_layout *lay, char *err,
			size_t err_len)
{
	*lay = (struct csv_layout){ .run = -1, .vcpu = -1, .kind = -1, .total = -1,
				    .rmi_calls = -1 };
	for (int s = 0; s < STAGE_COUNT; s++)
		lay->stage[s] = -1;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), lay->n_fields++) {
		int idx = (int)lay->n_fields;
		enum stage s = stage_from_name(tok);
		if (s != STAGE_COUNT)
			lay->stage[s] = idx;
		else if (!strcmp(tok, "run"))
			lay->run = idx;
		else if (!strcmp(tok, "kind"))
			lay->kind = idx;
		else if (!strcmp(tok, "vcpu"))
			lay->vcpu = idx;
		else if (!strcmp(tok, "rmi_calls"))
			lay->rmi_calls = idx;
		else if (!strcmp(tok, "total_ns"))
			lay->total = idx;
		else if (is_count_column(tok) && lay->n_count < REPORT_MAX_COUNT_COLS &&
			 (d->count_name[lay->n_count] = strdup(tok)))
			lay->count[lay->n_count++] = idx;
		/* ipa, level and later additions are not needed */
	}
	const char *missing = lay->run < 0 ? "run" : lay->kind < 0 ? "kind"
			      : lay->total < 0 ? "total_ns" : lay->vcpu < 0 ? "vcpu" : NULL;
	for (int s = 0; !missing && s < STAGE_COUNT; s++)
		if (lay->stage[s] < 0)
			missing = stage_name((enum stage)s);
	d->n_count = lay->n_count;
	if (missing)
		return fail(err, err_len, "faults.csv: header has no column \"%s\" "
			    "(not a schema %d results file?)", missing, RESULTS_SCHEMA_VERSION);
	return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Each run's resolution: the clock's step or its times' step, the coarser. */
static void set_resolutions(struct report_dir *d)
{
	double clock = 0.0, step;
	const struct json_value *ts = json_get(d->meta, "time_source");
	if (ts)
		(void)json_as_double(json_get(ts, "resolution_ns"), &clock);
	for (size_t i = 0; i < d->n_runs; i++) {
		struct report_run *r = &d->runs[i];
		if (!json_as_double(json_get(r->sum->json, "time_step_ns"), &step))
			step = 0.0;
		r->resolution_ns = step > clock ? step : clock;
	}
}

static int alloc_runs(struct report_dir *d, uint64_t file_size, char *err, size_t err_len)
{
	uint64_t total = 0;
	d->n_runs = d->summary.n_runs;
	d->runs = calloc(d->n_runs ? d->n_runs : 1, sizeof(*d->runs));
	if (!d->runs)
		return fail(err, err_len, "out of memory");
	for (size_t i = 0; i < d->n_runs; i++)
		total += d->summary.runs[i].faults;
	/* Every row has more than 16 bytes (20 fields and their commas): a
	 * summary that claims more faults than faults.csv could hold is corrupt
	 * and must not make us allocate for them. Finer truncation is caught by
	 * counting rows. */
	if (total > file_size / 16)
		return fail(err, err_len, "summary.json claims %" PRIu64 " faults but faults.csv "
			    "has only %" PRIu64 " bytes (truncated?)", total, file_size);
	for (size_t i = 0; i < d->n_runs; i++) {
		struct report_run *r = &d->runs[i];
		size_t n = d->summary.runs[i].faults;
		r->sum = &d->summary.runs[i];
		r->total_ns = malloc((n ? n : 1) * sizeof(*r->total_ns));
		if (!r->total_ns)
			return fail(err, err_len, "out of memory");
		for (int s = 0; s < STAGE_COUNT; s++)
			if (!(r->stage_ns[s] = malloc((n ? n : 1) * sizeof(uint32_t))))
				return fail(err, err_len, "out of memory");
		for (size_t c = 0; c < d->n_count; c++)
			if (!(r->count[c] = malloc((n ? n : 1) * sizeof(uint64_t))))
				return fail(err, err_len, "out of memory");
	}
	return 0;
}

/* One data row; LINENO for messages. */
static int parse_row(struct report_dir *d, const struct csv_layout *lay, char *line,
		     size_t lineno, struct row_tally *tally, char *err, size_t err_len)
{
	char *fields[REPORT_MAX_FIELDS];
	size_t nf = 0;
	size_t len = strlen(line);
	if (len == 0 || line[len - 1] != '\n')
		return fail(err, err_len, "faults.csv:%zu: line is not terminated (truncated file?)",
			    lineno);
	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line;; p++) {
		if (nf < REPORT_MAX_FIELDS)
			fields[nf] = p;
		nf++;
		p = strchr(p, ',');
		if (!p)
			break;
		*p = '\0';
	}
	if (nf != lay->n_fields)
		return fail(err, err_len, "faults.csv:%zu: %zu fields, the header has %zu",
			    lineno, nf, lay->n_fields);
	uint64_t run, total, v;
	if (!parse_u64(fields[lay->run], &run) || run >= d->n_runs)
		return fail(err, err_len, "faults.csv:%zu: run \"%s\" is not a run of summary.json "
			    "(%zu runs)", lineno, fields[lay->run], d->n_runs);
	enum fault_kind kind = fault_kind_from_name(fields[lay->kind]);
	if (kind == FAULT_KIND_COUNT)
		return fail(err, err_len, "faults.csv:%zu: unknown fault kind \"%s\"", lineno,
			    fields[lay->kind]);
	if (!parse_u64(fields[lay->vcpu], &v) || v >= d->runs[run].sum->vcpus)
		return fail(err, err_len, "faults.csv:%zu: vcpu \"%s\" is not a vCPU of run %" PRIu64
			    " (%u vCPUs)", lineno, fields[lay->vcpu], run, d->runs[run].sum->vcpus);
	if (lay->rmi_calls >= 0 && !parse_u64(fields[lay->rmi_calls], &v))
		return fail(err, err_len, "faults.csv:%zu: rmi_calls \"%s\" is not a number", lineno,
			    fields[lay->rmi_calls]);
	tally[run].kinds[kind]++;
	tally[run].rmi_calls += lay->rmi_calls >= 0 ? v : 0;
	if (!parse_u64(fields[lay->total], &total))
		return fail(err, err_len, "faults.csv:%zu: total_ns \"%s\" is not a number", lineno,
			    fields[lay->total]);
	struct report_run *r = &d->runs[run];
	if (r->n == r->sum->rows)
		return fail(err, err_len, "faults.csv:%zu: run %" PRIu64 " has more rows than the "
			    "%" PRIu64 " faults summary.json gives it", lineno, run, r->sum->rows);
	for (int s = 0; s < STAGE_COUNT; s++) {
		const char *f = fields[lay->stage[s]];
		if (!parse_u64(f, &v) || v > UINT32_MAX)
			return fail(err, err_len, "faults.csv:%zu: %s \"%s\" is not a 32-bit number",
				    lineno, stage_name((enum stage)s), f);
		r->stage_ns[s][r->n] = (uint32_t)v;
	}
	for (size_t c = 0; c < lay->n_count; c++)
		if (!parse_u64(fields[lay->count[c]], &r->count[c][r->n]))
			return fail(err, err_len, "faults.csv:%zu: %s \"%s\" is not a number", lineno,
				    d->count_name[c], fields[lay->count[c]]);
	r->total_ns[r->n++] = total;
	return 0;
}

/* "fault_ns.p50_ns" etc.: a summary number must be what the rows give. */
static int same(const char *field, size_t run, uint64_t summary, uint64_t rows, char *err,
		size_t err_len)
{
	if (summary == rows)
		return 0;
	return fail(err, err_len, "summary.json: runs[%zu].%s is %" PRIu64 " but faults.csv's rows "
		    "give %" PRIu64 " (the files contradict each other)", run, field, summary, rows);
}

/* One distribution of the summary against the samples it was made of. */
static int check_dist_rows(const char *name, size_t run, const struct results_dist *d,
			   uint64_t *v, size_t n, char *err, size_t err_len)
{
	struct sample_stats st = { 0 };
	char field[64];

	if (n)
		stats_summarize(v, n, &st);
	const char *keys[] = { "n", "min_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns" };
	const uint64_t have[] = { d->n, d->min_ns, d->p50_ns, d->p90_ns, d->p99_ns, d->max_ns };
	const uint64_t want[] = { st.n, st.min, st.p50, st.p90, st.p99, st.max };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && (k == 0 || n); k++) {
		snprintf(field, sizeof(field), "%s.%s", name, keys[k]);
		if (same(field, run, have[k], want[k], err, err_len))
			return -1;
	}
	return 0;
}

/* Kinds and RMI calls of the summary against the rows' tally. */
static int check_tally(const struct report_run *r, size_t run, const struct row_tally *t,
		       bool have_rmi, char *err, size_t err_len)
{
	const struct json_value *kinds = json_get(r->sum->json, "kinds");
	char field[64];
	uint64_t v;

	for (int k = 0; kinds && k < FAULT_KIND_COUNT; k++) {
		const struct json_value *x = json_get(kinds, fault_kind_name((enum fault_kind)k));
		snprintf(field, sizeof(field), "kinds.%s", fault_kind_name((enum fault_kind)k));
		if (x && !json_as_u64(x, &v))
			return fail(err, err_len, "summary.json: runs[%zu].%s is not a count", run,
				    field);
		if (same(field, run, x ? v : 0, t->kinds[k], err, err_len))
			return -1;
	}
	const struct json_value *calls = json_get(r->sum->json, "rmi_calls");
	if (have_rmi && calls) {
		if (!json_as_u64(calls, &v))
			return fail(err, err_len, "summary.json: runs[%zu].rmi_calls is not a count",
				    run);
		if (same("rmi_calls", run, v, t->rmi_calls, err, err_len))
			return -1;
	}
	return 0;
}

/* Every number of every run's summary that its rows determine. */
static int check_against_rows(struct report_dir *d, const struct row_tally *tally,
			      bool have_rmi, char *err, size_t err_len)
{
	for (size_t i = 0; i < d->n_runs; i++) {
		const struct report_run *r = &d->runs[i];
		if (r->n != r->sum->rows)
			return fail(err, err_len, "faults.csv has %zu rows for run %zu but summary.json "
				    "says %" PRIu64 " faults (truncated or mixed files?)", r->n, i,
				    r->sum->rows);
		/* A sampled run's rows are a sample: its summary is of every
		 * fault, so only the row count can be held against them. */
		if (r->sum->rows != r->sum->faults)
			continue;
		for (int s = 0; s <= STAGE_COUNT; s++) {
			size_t n;
			uint64_t *v = report_samples(r, (enum stage)s, false, &n);
			if (!v)
				return fail(err, err_len, "out of memory");
			const struct results_dist *dist = s == STAGE_COUNT ? &r->sum->fault_ns
						       : &r->sum->stages[s];
			char name[64];
			snprintf(name, sizeof(name), s == STAGE_COUNT ? "fault_ns" : "stages.%s",
				 s == STAGE_COUNT ? "" : stage_name((enum stage)s));
			int rc = s < STAGE_COUNT && !r->sum->has_stage[s]
				? same(strcat(name, ".n"), i, 0, n, err, err_len)
				: check_dist_rows(name, i, dist, v, n, err, err_len);
			free(v);
			if (rc)
				return -1;
		}
		if (check_tally(r, i, &tally[i], have_rmi, err, err_len))
			return -1;
	}
	return 0;
}

static int read_rows(struct report_dir *d, FILE *f, const struct csv_layout *lay,
		     struct row_tally *tally, char *err, size_t err_len)
{
	char *line = malloc(INPUT_LINE_MAX);
	size_t lineno = 1;
	enum input_line got;
	int rc = -1;

	if (!line)
		return fail(err, err_len, "out of memory");
	while ((got = input_file_line(f, line, INPUT_LINE_MAX)) == INPUT_LINE_OK) {
		lineno++;
		if (parse_row(d, lay, line, lineno, tally, err, err_len))
			goto out;
	}
	if (got != INPUT_LINE_EOF) {
		fail(err, err_len, "faults.csv:%zu: %s", lineno + 1, input_line_problem(got));
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

static int load_faults(struct report_dir *d, char *err, size_t err_len)
{
	char *path = NULL, sub[256];
	uint64_t size = 0;
	if (asprintf(&path, "%s/faults.csv", d->path) < 0)
		return fail(err, err_len, "out of memory");
	FILE *f = input_file_open(path, INPUT_CSV_MAX, &size, sub, sizeof(sub));
	free(path);
	if (!f)
		return fail(err, err_len, "%s", sub);
	char header[16384];
	struct csv_layout lay;
	struct row_tally *tally = NULL;
	int rc = -1;
	enum input_line got = input_file_line(f, header, sizeof(header));
	if (got != INPUT_LINE_OK) {
		fail(err, err_len, "faults.csv: %s", got == INPUT_LINE_EOF
		     ? "empty (no header)" : input_line_problem(got));
		goto out;
	}
	if (parse_header(d, header, &lay, err, err_len))
		goto out;
	if (lay.n_fields > REPORT_MAX_FIELDS) {
		fail(err, err_len, "faults.csv: %zu columns, more than any schema %d file has",
		     lay.n_fields, RESULTS_SCHEMA_VERSION);
		goto out;
	}
	if (alloc_runs(d, size, err, err_len))
		goto out;
	if (!(tally = calloc(d->n_runs ? d->n_runs : 1, sizeof(*tally)))) {
		fail(err, err_len, "out of memory");
		goto out;
	}
	if (read_rows(d, f, &lay, tally, err, err_len) ||
	    check_against_rows(d, tally, lay.rmi_calls >= 0, err, err_len))
		goto out;
	rc = 0;
out:
	free(tally);
	fclose(f);
	return rc;
}

/* A run's policy: one this build knows, the label `trace ingest` gives a
 * realm kernel by default, or one meta.json marks foreign. */
static int check_policies(const struct report_dir *d, char *err, size_t err_len)
{
	const char *foreign = json_as_string(json_get(json_get(d->meta, "extra"),
						       "foreign_policy"));
	for (size_t i = 0; i < d->summary.n_runs; i++) {
		const char *p = d->summary.runs[i].policy;
		if (kvm_policy_find(p) || !strcmp(p, "cca-host") || (foreign && !strcmp(p, foreign)))
			continue;
		return fail(err, err_len, "summary.json: runs[%zu].policy \"%s\" is no policy of "
			    "this build (see 'rme-bench list policies') and meta.json does not mark "
			    "it foreign (extra.foreign_policy)", i, p);
	}
	return 0;
}

int report_load(const char *dir, struct report_dir *out, char *err, size_t err_len)
{
	struct report_dir d = { 0 };
	char sub[512];
	struct stat st;

	if (stat(dir, &st) != 0)
		return fail(err, err_len, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, err_len, "%s: not a results directory", dir);
	if (!(d.path = strdup(dir)))
		return fail(err, err_len, "out of memory");
	if (!(d.meta = results_load_meta(dir, sub, sizeof(sub)))) {
		fail(err, err_len, "%s: %s", dir, sub);
		goto bad;
	}
	if (results_load_summary(dir, &d.summary, sub, sizeof(sub))) {
		fail(err, err_len, "%s: %s", dir, sub);
		goto bad;
	}
	if (check_policies(&d, sub, sizeof(sub)) || load_faults(&d, sub, sizeof(sub))) {
		fail(err, err_len, "%s: %s", dir, sub);
		goto bad;
	}
	set_resolutions(&d);
	uint64_t faults = 0;
	for (size_t i = 0; i < d.n_runs; i++)
		faults += d.runs[i].n;
	if (!faults) {
		fail(err, err_len, "%s: empty run: %s", dir,
		     d.n_runs ? "no faults were recorded" : "summary.json has no runs");
		goto bad;
	}
	*out = d;
	return 0;
bad:
	report_free(&d);
	return -1;
}

void report_free(struct report_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->runs && i < d->n_runs; i++) {
		free(d->runs[i].total_ns);
		for (int s = 0; s < STAGE_COUNT; s++)
			free(d->runs[i].stage_ns[s]);
		for (size_t c = 0; c < d->n_count; c++)
			free(d->runs[i].count[c]);
	}
	for (size_t c = 0; c < d->n_count; c++)
		free(d->count_name[c]);
	free(d->runs);
	results_summary_free(&d->summary);
	json_value_free(d->meta);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

const char *report_meta_string(const struct report_dir *d, const char *key)
{
	const char *s = json_as_string(json_get(d->meta, key));
	return s ? s : "?";
}

const char *report_platform(const struct report_dir *d, bool *emulated)
{
	const struct json_value *p = json_get(json_get(d->meta, "host"), "platform");
	const struct json_value *e = json_get(p, "emulated");
	*emulated = e && e->type == JSON_BOOL && e->boolean;
	return results_platform_label(json_as_string(json_get(p, "kind")));
}

bool report_rmi_recorded(const struct report_run *r)
{
	double counted = 0;
	if (strcmp(r->sum->source, RESULTS_SOURCE_REAL_VM))
		return true;
	/* Counted, and by command (the corrected qemu-realm kernel runs keep
	 * only totals: their by-command counts mixed in other faults). */
	double calls = 0;
	(void)json_as_double(json_get(r->sum->json, "rmi_calls"), &calls);
	return json_as_double(json_get(json_get(r->sum->json, "extra"), "rmi_calls_counted"),
			      &counted) && counted == 1 && (r->sum->n_counts > 0 || calls == 0);
}

uint64_t *report_samples(const struct report_run *r, enum stage s, bool all_faults, size_t *n)
{
	uint64_t *v = malloc((r->n ? r->n : 1) * sizeof(*v));
	size_t k = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		if (s == STAGE_COUNT)
			v[k++] = r->total_ns[i];
		else if (all_faults || r->stage_ns[s][i])
			v[k++] = r->stage_ns[s][i];
	}
	*n = k;
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

uint64_t report_median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n + 1) / 2 - 1];
}

void report_run_label(const struct results_run_summary *r, const bool *ignored, char *buf,
		      size_t len)
{
	char size[16], vcpus[24];
	cli_format_size(r->size, size, sizeof(size));
	snprintf(vcpus, sizeof(vcpus), "%uvcpu", r->vcpus);
	const char *parts[REPORT_KEY_COUNT] = { r->vm, r->pattern, r->policy, r->abi, r->page,
						size, vcpus };
	size_t used = 0;
	buf[0] = '\0';
	for (int k = 0; k < REPORT_KEY_COUNT && used < len; k++) {
		if (ignored && ignored[k])
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", parts[k]);
	}
}

bool report_same_config(const struct results_run_summary *a, const struct results_run_summary *b,
			const bool *ignored)
{
	bool same[REPORT_KEY_COUNT] = {
		!strcmp(a->vm, b->vm), !strcmp(a->pattern, b->pattern),
		kvm_policy_same(a->policy, b->policy), !strcmp(a->abi, b->abi),
		!strcmp(a->page, b->page), a->size == b->size, a->vcpus == b->vcpus,
	};
	for (int k = 0; k < REPORT_KEY_COUNT; k++)
		if (!same[k] && !(ignored && ignored[k]))
			return false;
	return true;
}
