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
	int run, kind, total;
	int stage[STAGE_COUNT];
	int count[REPORT_MAX_COUNT_COLS]; /* field of report_dir.count_name[i] */
	size_t n_count;
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
	*lay = (struct csv_layout){ .run = -1, .kind = -1, .total = -1 };
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
		else if (!strcmp(tok, "total_ns"))
			lay->total = idx;
		else if (is_count_column(tok) && lay->n_count < REPORT_MAX_COUNT_COLS &&
			 (d->count_name[lay->n_count] = strdup(tok)))
			lay->count[lay->n_count++] = idx;
		/* vcpu, ipa, level, rmi_calls and later additions are not needed */
	}
	const char *missing = lay->run < 0 ? "run" : lay->kind < 0 ? "kind"
			      : lay->total < 0 ? "total_ns" : NULL;
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
		     size_t lineno, char *err, size_t err_len)
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
	if (fault_kind_from_name(fields[lay->kind]) == FAULT_KIND_COUNT)
		return fail(err, err_len, "faults.csv:%zu: unknown fault kind \"%s\"", lineno,
			    fields[lay->kind]);
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

static int load_faults(struct report_dir *d, char *err, size_t err_len)
{
	char *path = NULL;
	if (asprintf(&path, "%s/faults.csv", d->path) < 0)
		return fail(err, err_len, "out of memory");
	FILE *f = fopen(path, "r");
	if (!f) {
		fail(err, err_len, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	struct stat st;
	char *line = NULL;
	size_t cap = 0, lineno = 1;
	struct csv_layout lay;
	int rc = -1;
	if (fstat(fileno(f), &st) != 0) {
		fail(err, err_len, "faults.csv: %s", strerror(errno));
		goto out;
	}
	if (getline(&line, &cap, f) < 0) {
		fail(err, err_len, "faults.csv is empty (no header)");
		goto out;
	}
	if (parse_header(d, line, &lay, err, err_len))
		goto out;
	if (lay.n_fields > REPORT_MAX_FIELDS) {
		fail(err, err_len, "faults.csv: %zu columns, more than any schema %d file has",
		     lay.n_fields, RESULTS_SCHEMA_VERSION);
		goto out;
	}
	if (alloc_runs(d, (uint64_t)st.st_size, err, err_len))
		goto out;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (parse_row(d, &lay, line, lineno, err, err_len))
			goto out;
	}
	if (ferror(f)) {
		fail(err, err_len, "faults.csv: read error");
		goto out;
	}
	for (size_t i = 0; i < d->n_runs; i++)
		if (d->runs[i].n != d->runs[i].sum->rows) {
			fail(err, err_len, "faults.csv has %zu rows for run %zu but summary.json says "
			     "%" PRIu64 " faults (truncated or mixed files?)", d->runs[i].n, i,
			     d->runs[i].sum->rows);
			goto out;
		}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

int report_load(const char *dir, struct report_dir *out, char *err, size_t err_len)
{
	struct report_dir d = { 0 };
	char sub[256];
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
	if (load_faults(&d, sub, sizeof(sub))) {
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
