/*
 * Loading results back: strict parse, then a validation that names the
 * run and the field it rejects, so a broken file is diagnosed, not
 * half-read into wrong numbers.
 */
#define _GNU_SOURCE
#include "results/results.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checker {
	const char *file; /* which file the message is about */
	char *err;
	size_t err_len;
	char where[64]; /* "runs[3]" etc. */
};

__attribute__((format(printf, 2, 3)))
static bool reject(struct checker *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->err_len)
		snprintf(c->err, c->err_len, "%s: %s%s%s", c->file, c->where,
			 c->where[0] ? ": " : "", msg);
	return false;
}

static const struct json_value *field(struct checker *c, const struct json_value *obj,
				      const char *key, enum json_type type)
{
	const struct json_value *v = json_get(obj, key);
	if (!v) {
		reject(c, "missing field \"%s\"", key);
		return NULL;
	}
	if (v->type != type) {
		reject(c, "field \"%s\" is %s, expected %s", key, json_type_name(v->type),
		       json_type_name(type));
		return NULL;
	}
	return v;
}

static bool get_string(struct checker *c, const struct json_value *obj, const char *key,
		       const char **out)
{
	const struct json_value *v = field(c, obj, key, JSON_STRING);
	if (!v)
		return false;
	if (v->string.len == 0)
		return reject(c, "field \"%s\" is empty", key);
	*out = v->string.chars;
	return true;
}

static bool get_u64(struct checker *c, const struct json_value *obj, const char *key,
		    uint64_t *out)
{
	const struct json_value *v = field(c, obj, key, JSON_NUMBER);
	if (!v)
		return false;
	if (!json_as_u64(v, out))
		return reject(c, "field \"%s\" is not an unsigned integer", key);
	return true;
}

/* A u64 or null; *present says which. */
static bool get_u64_or_null(struct checker *c, const struct json_value *obj, const char *key,
			    uint64_t *out, bool *present)
{
	const struct json_value *v = json_get(obj, key);
	if (!v)
		return reject(c, "missing field \"%s\"", key);
	*present = v->type != JSON_NULL;
	if (!*present)
		return true;
	return get_u64(c, obj, key, out);
}

static bool check_dist(struct checker *c, const struct json_value *obj, const char *name,
		       bool with_ci, struct results_dist *d)
{
	if (!obj || obj->type != JSON_OBJECT)
		return reject(c, "\"%s\" is not an object", name);
	memset(d, 0, sizeof(*d));
	if (!get_u64(c, obj, "n", &d->n))
		return false;
	const char *keys[] = { "min_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns" };
	uint64_t *slots[] = { &d->min_ns, &d->p50_ns, &d->p90_ns, &d->p99_ns, &d->max_ns };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool present;
		if (!get_u64_or_null(c, obj, keys[i], slots[i], &present))
			return false;
		if (present != (d->n > 0))
			return reject(c, "\"%s\".%s must be %s when n is %llu", name, keys[i],
				      d->n ? "a number" : "null", (unsigned long long)d->n);
	}
	if (d->n && !(d->min_ns <= d->p50_ns && d->p50_ns <= d->p90_ns &&
		      d->p90_ns <= d->p99_ns && d->p99_ns <= d->max_ns))
		return reject(c, "\"%s\" percentiles are not in order", name);
	if (with_ci) {
		bool low, high;
		if (!get_u64_or_null(c, obj, "p50_ci_low_ns", &d->p50_ci_low_ns, &low) ||
		    !get_u64_or_null(c, obj, "p50_ci_high_ns", &d->p50_ci_high_ns, &high))
			return false;
		if (low != high)
			return reject(c, "\"%s\" has only one end of the median CI", name);
		d->has_ci = low;
		if (d->has_ci && !(d->p50_ci_low_ns <= d->p50_ns && d->p50_ns <= d->p50_ci_high_ns))
			return reject(c, "\"%s\" median CI does not contain the median", name);
	}
	return true;
}

static bool check_counts(struct checker *c, const struct json_value *run,
			 struct results_run_summary *r)
{
	const struct json_value *counts = field(c, run, "counts", JSON_OBJECT);
	if (!counts)
		return false;
	r->n_counts = counts->object.count;
	if (r->n_counts && !(r->counts = calloc(r->n_counts, sizeof(*r->counts))))
		return reject(c, "out of memory");
	for (size_t i = 0; i < r->n_counts; i++) {
		const struct json_member *m = &counts->object.members[i];
		r->counts[i].name = m->key;
		if (!json_as_u64(&m->value, &r->counts[i].count))
			return reject(c, "count \"%s\" is not an unsigned integer", m->key);
	}
	return true;
}

static bool check_stages(struct checker *c, const struct json_value *run,
			 struct results_run_summary *r)
{
	const struct json_value *stages = field(c, run, "stages", JSON_OBJECT);
	if (!stages)
		return false;
	for (size_t i = 0; i < stages->object.count; i++) {
		const struct json_member *m = &stages->object.members[i];
		enum stage s = stage_from_name(m->key);
		if (s == STAGE_COUNT)
			return reject(c, "unknown stage \"%s\"", m->key);
		if (!check_dist(c, &m->value, m->key, false, &r->stages[s]))
			return false;
		r->has_stage[s] = true;
	}
	return true;
}

/* The labels of a run: known enumerations and a safe character set. */
static bool check_labels(struct checker *c, const struct results_run_summary *r)
{
	const char *labels[][2] = { { "vm", r->vm }, { "pattern", r->pattern },
				    { "policy", r->policy }, { "abi", r->abi }, { "page", r->page },
				    { "source", r->source } };
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!results_label_ok(labels[i][1]))
			return reject(c, "field \"%s\" is not 1-64 characters of A-Z a-z 0-9 . _ + -",
				      labels[i][0]);
	bool realm = !strcmp(r->vm, "realm");
	if (!realm && strcmp(r->vm, "normal"))
		return reject(c, "field \"vm\" is \"%s\", expected realm or normal", r->vm);
	if (!results_page_bytes(r->page))
		return reject(c, "field \"page\" is \"%s\", not a page size (4K ... 1G, a power of two)",
			      r->page);
	if (!results_source_known(r->source))
		return reject(c, "field \"source\" is \"%s\", expected %s, %s or %s", r->source,
			      RESULTS_SOURCE_SIM_MEASURED, RESULTS_SOURCE_MODELED,
			      RESULTS_SOURCE_REAL_VM);
	if (realm ? strcmp(r->abi, "1.0") && strcmp(r->abi, "2.0") : strcmp(r->abi, "-"))
		return reject(c, "field \"abi\" is \"%s\", expected %s for a %s VM", r->abi,
			      realm ? "1.0 or 2.0" : "-", r->vm);
	if (!realm && strcmp(r->policy, "normal"))
		return reject(c, "field \"policy\" is \"%s\" for a normal VM (expected normal)",
			      r->policy);
	return true;
}

/* Numbers a run can produce: vCPUs, wall time, rate, calls per fault. */
static bool check_ranges(struct checker *c, const struct results_run_summary *r)
{
	if (r->vcpus == 0 || r->vcpus > RESULTS_MAX_VCPUS)
		return reject(c, "field \"vcpus\" is %u, expected 1..%d", r->vcpus,
			      RESULTS_MAX_VCPUS);
	/* A kernel trace ingested without --size does not know the size. */
	if (r->size == 0 && strcmp(r->source, RESULTS_SOURCE_REAL_VM))
		return reject(c, "field \"size\" is 0");
	if (r->total_ns > RESULTS_MAX_TOTAL_NS)
		return reject(c, "field \"total_ns\" is %llu, more than a year",
			      (unsigned long long)r->total_ns);
	if (r->total_ns == 0 && !isnan(r->faults_per_sec))
		return reject(c, "field \"faults_per_sec\" is %g but total_ns is 0 (not timed: null)",
			      r->faults_per_sec);
	if (r->total_ns) {
		double rate = (double)r->faults * 1e9 / (double)r->total_ns;
		if (!(fabs(r->faults_per_sec - rate) <= 1e-6 * rate + 1e-9))
			return reject(c, "field \"faults_per_sec\" is %g but faults / total_ns gives %g",
				      r->faults_per_sec, rate);
		if (r->faults && r->total_ns < r->fault_ns.max_ns)
			return reject(c, "field \"total_ns\" (%llu) is shorter than the slowest "
				      "fault (fault_ns.max_ns %llu)", (unsigned long long)r->total_ns,
				      (unsigned long long)r->fault_ns.max_ns);
	}
	uint64_t cap = r->faults < (UINT64_MAX >> 21) ? (r->faults + r->vcpus) *
		       RESULTS_MAX_RMI_PER_FAULT : UINT64_MAX;
	for (size_t i = 0; i < r->n_counts; i++)
		if (!strncmp(r->counts[i].name, "RMI_", 4) && r->counts[i].count > cap)
			return reject(c, "count \"%s\" is %llu, more than %llu faults on %u vCPUs "
				      "can make", r->counts[i].name,
				      (unsigned long long)r->counts[i].count,
				      (unsigned long long)r->faults, r->vcpus);
	return true;
}

static bool check_run(struct checker *c, const struct json_value *run,
		      struct results_run_summary *r)
{
	if (run->type != JSON_OBJECT)
		return reject(c, "is %s, expected object", json_type_name(run->type));
	r->json = run;
	uint64_t vcpus;
	if (!get_string(c, run, "vm", &r->vm) || !get_string(c, run, "pattern", &r->pattern) ||
	    !get_string(c, run, "policy", &r->policy) || !get_string(c, run, "abi", &r->abi) ||
	    !get_string(c, run, "page", &r->page) || !get_string(c, run, "source", &r->source) ||
	    !get_u64(c, run, "size", &r->size) || !get_u64(c, run, "vcpus", &vcpus) ||
	    !get_u64(c, run, "faults", &r->faults) || !get_u64(c, run, "total_ns", &r->total_ns))
		return false;
	if (vcpus == 0 || vcpus > RESULTS_MAX_VCPUS)
		return reject(c, "field \"vcpus\" is %llu, expected 1..%d",
			      (unsigned long long)vcpus, RESULTS_MAX_VCPUS);
	r->vcpus = (uint32_t)vcpus;
	const struct json_value *fps = json_get(run, "faults_per_sec");
	if (!fps)
		return reject(c, "missing field \"faults_per_sec\"");
	if (fps->type == JSON_NULL)
		r->faults_per_sec = NAN;
	else if (!json_as_double(fps, &r->faults_per_sec))
		return reject(c, "field \"faults_per_sec\" is %s, expected number or null",
			      json_type_name(fps->type));
	if (!check_counts(c, run, r) || !check_stages(c, run, r))
		return false;
	if (!check_dist(c, json_get(run, "fault_ns"), "fault_ns", true, &r->fault_ns))
		return false;
	if (r->fault_ns.n != r->faults)
		return reject(c, "fault_ns.n (%llu) differs from faults (%llu)",
			      (unsigned long long)r->fault_ns.n, (unsigned long long)r->faults);
	/* A sampled run's faults.csv holds faults_sampled rows (<= faults). */
	r->rows = r->faults;
	if (json_get(run, "faults_sampled")) {
		if (!get_u64(c, run, "faults_sampled", &r->rows))
			return false;
		if (r->rows > r->faults)
			return reject(c, "faults_sampled (%llu) exceeds faults (%llu)",
				      (unsigned long long)r->rows, (unsigned long long)r->faults);
	}
	return check_labels(c, r) && check_ranges(c, r);
}

void results_summary_free(struct results_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_runs; i++)
		free(s->runs[i].counts);
	free(s->runs);
	json_value_free(s->doc);
	memset(s, 0, sizeof(*s));
}

int results_validate_summary(const struct json_value *doc, struct results_summary *out,
			     char *err, size_t err_len)
{
	struct checker c = { .file = "summary.json", .err = err, .err_len = err_len };
	struct results_summary s = { 0 };
	if (!doc || doc->type != JSON_OBJECT) {
		reject(&c, "the document is not an object");
		return -1;
	}
	const struct json_value *schema = json_get(doc, "schema");
	if (!schema) {
		reject(&c, "missing field \"schema\" (not a results summary?)");
		return -1;
	}
	if (!json_as_u64(schema, &s.schema) || s.schema != RESULTS_SCHEMA_VERSION) {
		if (schema->type == JSON_NUMBER && !schema->number.fits_u64)
			reject(&c, "field \"schema\" is %g, not an integer (this tool reads "
			       "schema %d)", schema->number.value, RESULTS_SCHEMA_VERSION);
		else if (schema->type == JSON_NUMBER)
			reject(&c, "schema version %llu is not supported (this tool reads %d)",
			       (unsigned long long)s.schema, RESULTS_SCHEMA_VERSION);
		else
			reject(&c, "field \"schema\" is %s, expected number",
			       json_type_name(schema->type));
		return -1;
	}
	const struct json_value *runs = field(&c, doc, "runs", JSON_ARRAY);
	if (!runs)
		return -1;
	s.n_runs = runs->array.count;
	if (s.n_runs && !(s.runs = calloc(s.n_runs, sizeof(*s.runs)))) {
		reject(&c, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s.n_runs; i++) {
		snprintf(c.where, sizeof(c.where), "runs[%zu]", i);
		if (!check_run(&c, &runs->array.items[i], &s.runs[i])) {
			results_summary_free(&s);
			return -1;
		}
	}
	if (out)
		*out = s;
	else
		results_summary_free(&s);
	return 0;
}

int results_load_summary(const char *dir, struct results_summary *out, char *err, size_t err_len)
{
	char *path = NULL;
	if (asprintf(&path, "%s/summary.json", dir) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	struct json_error jerr;
	struct json_value *doc = json_parse_file(path, &jerr);
	if (!doc) {
		if (jerr.line)
			snprintf(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.message);
		else
			snprintf(err, err_len, "%s", jerr.message);
		free(path);
		return -1;
	}
	free(path);
	struct results_summary s;
	if (results_validate_summary(doc, &s, err, err_len) != 0) {
		json_value_free(doc);
		return -1;
	}
	s.doc = doc;
	*out = s;
	return 0;
}

struct json_value *results_load_meta(const char *dir, char *err, size_t err_len)
{
	char *path = NULL;
	if (asprintf(&path, "%s/meta.json", dir) < 0) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	struct json_error jerr;
	struct json_value *doc = json_parse_file(path, &jerr);
	if (!doc) {
		if (jerr.line)
			snprintf(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.message);
		else
			snprintf(err, err_len, "%s", jerr.message);
		free(path);
		return NULL;
	}
	struct checker c = { .file = "meta.json", .err = err, .err_len = err_len };
	uint64_t schema;
	const char *s;
	bool ok = doc->type == JSON_OBJECT;
	if (!ok)
		reject(&c, "the document is not an object");
	ok = ok && get_u64(&c, doc, "schema", &schema);
	if (ok && schema != RESULTS_SCHEMA_VERSION)
		ok = reject(&c, "schema version %llu is not supported (this tool reads %d)",
			    (unsigned long long)schema, RESULTS_SCHEMA_VERSION);
	const char *required[] = { "tool_version", "git_rev", "source", "backend", "abi",
				   "policy", "start_time" };
	for (size_t i = 0; ok && i < sizeof(required) / sizeof(required[0]); i++)
		ok = get_string(&c, doc, required[i], &s);
	ok = ok && field(&c, doc, "host", JSON_OBJECT) && field(&c, doc, "time_source", JSON_OBJECT) &&
	     field(&c, doc, "command_line", JSON_ARRAY) && field(&c, doc, "extra", JSON_OBJECT);
	free(path);
	if (!ok) {
		json_value_free(doc);
		return NULL;
	}
	return doc;
}
