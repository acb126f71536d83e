/*
 * Results directory: written atomically, parses back, numbers agree with
 * brute-force statistics, bad runs and bad summaries are rejected clearly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "results/results.h"
#include "results/stats.h"
#include "results/json.h"
#include "clock/stage_clock.h"

static char *read_text(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(mem);
	fclose(f);
	return buf;
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
}

/* Names in DIR, excluding . and ..; "*" when a temporary is present. */
static int count_entries(const char *dir, int *temporaries)
{
	DIR *d = opendir(dir);
	int n = 0;
	*temporaries = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (strstr(e->d_name, ".tmp-"))
			(*temporaries)++;
	}
	closedir(d);
	return n;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static bool file_exists(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

#define N_REALM 500
#define N_NORMAL 3

static struct fault_record realm_faults[N_REALM], normal_faults[N_NORMAL];

static void make_faults(void)
{
	uint64_t state = 42;
	for (size_t i = 0; i < N_REALM; i++) {
		struct fault_record *r = &realm_faults[i];
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		*r = (struct fault_record){ .ipa = 0x80000000ULL + (i << 12), .vcpu = (uint32_t)(i % 2),
					    .kind = FAULT_PROTECTED, .level = 3, .rmi_calls = 3 };
		r->stage_ns[STAGE_REC_EXIT] = 500 + (uint32_t)(state >> 54);
		r->stage_ns[STAGE_DATA_CREATE] = 2000 + (uint32_t)((state >> 20) & 0xfff);
		if (i % 50 == 0)
			r->stage_ns[STAGE_RTT_CREATE] = 9000 + (uint32_t)i;
		r->stage_ns[STAGE_UNATTRIBUTED] = 100;
		r->total_ns = 100 + r->stage_ns[STAGE_REC_EXIT] + r->stage_ns[STAGE_DATA_CREATE] +
			      r->stage_ns[STAGE_RTT_CREATE];
	}
	for (size_t i = 0; i < N_NORMAL; i++) {
		normal_faults[i] = (struct fault_record){ .ipa = i << 21, .vcpu = 0,
							  .kind = FAULT_NORMAL, .level = 2,
							  .total_ns = 80000 + i };
		normal_faults[i].stage_ns[STAGE_S2_MAP] = 70000;
	}
}

static const struct results_count realm_counts[] = {
	{ "RMI_GRANULE_DELEGATE", 500 }, { "RMI_DATA_CREATE_UNKNOWN", 500 }, { "RMI_RTT_CREATE", 10 },
};
static const struct results_extra realm_extra[] = { { "rtts_created", 10 }, { "undefined", NAN } };

static struct results_run realm_run(void)
{
	return (struct results_run){ .vm = "realm", .pattern = "seq", .policy = "seed", .abi = "1.0",
				     .page = "4K", .size = 2 << 20, .vcpus = 2,
				     .faults = realm_faults, .n_faults = N_REALM, .dropped_faults = 7,
				     .counts = realm_counts, .n_counts = 3, .total_ns = 5000000,
				     .source = RESULTS_SOURCE_SIM_MEASURED,
				     .extra = realm_extra, .n_extra = 2 };
}

static struct results_run normal_run(void)
{
	return (struct results_run){ .vm = "normal", .pattern = "block", .policy = "normal",
				     .abi = "-", .page = "2M", .size = 6 << 20, .vcpus = 1,
				     .faults = normal_faults, .n_faults = N_NORMAL, .total_ns = 0,
				     .source = RESULTS_SOURCE_MODELED };
}

static char *const test_argv[] = { "rme-bench", "run", "--note", "quote\" and \\ and \n", NULL };

static struct results_meta make_meta(void)
{
	return (struct results_meta){ .backend = "sim", .abi = "1.0", .policy = "seed",
				      .profile = NULL, .source = RESULTS_SOURCE_SIM_MEASURED,
				      .argc = 4, .argv = test_argv };
}

static void check_dist_matches(const struct results_dist *d, uint64_t *samples, size_t n)
{
	struct sample_stats st;
	CHECK(stats_summarize(samples, n, &st) == 0);
	CHECK_EQ_U64(d->n, n);
	CHECK_EQ_U64(d->min_ns, st.min);
	CHECK_EQ_U64(d->p50_ns, st.p50);
	CHECK_EQ_U64(d->p90_ns, st.p90);
	CHECK_EQ_U64(d->p99_ns, st.p99);
	CHECK_EQ_U64(d->max_ns, st.max);
}

static void check_summary(const char *dir)
{
	char err[256];
	struct results_summary s;
	if (results_load_summary(dir, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "load: %s\n", err);
		CHECK(0);
		return;
	}
	CHECK_EQ_U64(s.schema, 1);
	CHECK_EQ_U64(s.n_runs, 3);
	if (s.n_runs != 3)
		goto out;
	const struct results_run_summary *r = &s.runs[0];
	CHECK(!strcmp(r->vm, "realm") && !strcmp(r->pattern, "seq") && !strcmp(r->page, "4K"));
	CHECK(!strcmp(r->source, "sim-measured"));
	CHECK_EQ_U64(r->size, 2 << 20);
	CHECK_EQ_U64(r->vcpus, 2);
	CHECK_EQ_U64(r->faults, N_REALM);
	CHECK(fabs(r->faults_per_sec - N_REALM / 0.005) < 1e-6);
	CHECK_EQ_U64(r->n_counts, 3);
	for (size_t i = 0; i < r->n_counts && i < 3; i++) {
		CHECK(!strcmp(r->counts[i].name, realm_counts[i].name));
		CHECK_EQ_U64(r->counts[i].count, realm_counts[i].count);
	}
	uint64_t samples[N_REALM];
	for (size_t i = 0; i < N_REALM; i++)
		samples[i] = realm_faults[i].total_ns;
	check_dist_matches(&r->fault_ns, samples, N_REALM);
	CHECK(r->fault_ns.has_ci && r->fault_ns.p50_ci_low_ns < r->fault_ns.p50_ns &&
	      r->fault_ns.p50_ns < r->fault_ns.p50_ci_high_ns);
	size_t lo, hi;
	stats_sort_u64(samples, N_REALM);
	CHECK(stats_median_ci_ranks(N_REALM, 0.95, &lo, &hi) == 0);
	/* The order statistics, widened by half the step the times take. */
	double res = fmax(stage_clock_info()->resolution_ns, (double)stats_time_step(samples, N_REALM));
	uint64_t half = (uint64_t)ceil(res / 2.0), step;
	CHECK(half >= 1);
	CHECK_EQ_U64(r->fault_ns.p50_ci_low_ns, samples[lo - 1] - half);
	CHECK_EQ_U64(r->fault_ns.p50_ci_high_ns, samples[hi - 1] + half);
	CHECK(json_as_u64(json_get(r->json, "time_step_ns"), &step) &&
	      step == stats_time_step(samples, N_REALM));
	/* Stages: present exactly when they occurred; RTT_CREATE in 1 of 50. */
	CHECK(r->has_stage[STAGE_REC_EXIT] && r->has_stage[STAGE_DATA_CREATE] &&
	      r->has_stage[STAGE_RTT_CREATE] && r->has_stage[STAGE_UNATTRIBUTED]);
	CHECK(!r->has_stage[STAGE_S2_MAP] && !r->has_stage[STAGE_PAGE_PIN]);
	size_t m = 0;
	for (size_t i = 0; i < N_REALM; i++)
		if (realm_faults[i].stage_ns[STAGE_RTT_CREATE])
			samples[m++] = realm_faults[i].stage_ns[STAGE_RTT_CREATE];
	check_dist_matches(&r->stages[STAGE_RTT_CREATE], samples, m);
	CHECK_EQ_U64(m, N_REALM / 50);
	const struct json_value *extra = json_get(r->json, "extra");
	double d;
	CHECK(json_as_double(json_get(extra, "rtts_created"), &d) && d == 10);
	CHECK(json_get(extra, "undefined") && json_get(extra, "undefined")->type == JSON_NULL);
	uint64_t dropped;
	CHECK(json_as_u64(json_get(r->json, "dropped_faults"), &dropped) && dropped == 7);

	r = &s.runs[1];
	CHECK(!strcmp(r->vm, "normal") && !strcmp(r->page, "2M") && !strcmp(r->source, "modeled"));
	CHECK(isnan(r->faults_per_sec)); /* total_ns 0: null, never Inf */
	CHECK(!r->fault_ns.has_ci);        /* n = 3 is too small for a CI */
	CHECK_EQ_U64(r->fault_ns.n, 3);
	CHECK(r->has_stage[STAGE_S2_MAP] && !r->has_stage[STAGE_REC_EXIT]);

	r = &s.runs[2]; /* no faults at all */
	CHECK_EQ_U64(r->faults, 0);
	CHECK_EQ_U64(r->fault_ns.n, 0);
	for (int st = 0; st < STAGE_COUNT; st++)
		CHECK(!r->has_stage[st]);
out:
	results_summary_free(&s);
}

static void check_meta(const char *dir)
{
	char err[256];
	struct json_value *meta = results_load_meta(dir, err, sizeof(err));
	CHECK(meta != NULL);
	if (!meta) {
		fprintf(stderr, "meta: %s\n", err);
		return;
	}
	CHECK(!strcmp(json_as_string(json_get(meta, "source")), "sim-measured"));
	CHECK(!strcmp(json_as_string(json_get(meta, "backend")), "sim"));
	CHECK(json_get(meta, "profile")->type == JSON_NULL);
	CHECK(!strcmp(json_as_string(json_get(meta, "tool_version")), RMEB_VERSION));
	const char *start = json_as_string(json_get(meta, "start_time"));
	CHECK(start && strlen(start) == 24 && start[10] == 'T' && start[23] == 'Z');
	const struct json_value *argv = json_get(meta, "command_line");
	CHECK(argv && argv->array.count == 4);
	if (argv && argv->array.count == 4)
		CHECK(!strcmp(argv->array.items[3].string.chars, test_argv[3]));
	const struct json_value *ts = json_get(meta, "time_source");
	double tpn;
	CHECK(json_as_double(json_get(ts, "ticks_per_ns"), &tpn) && tpn > 0);
	CHECK(json_get(ts, "invariant") && json_get(ts, "invariant")->type == JSON_BOOL);
	const struct json_value *host = json_get(meta, "host");
	CHECK(json_as_string(json_get(host, "cpu_model")) != NULL);
	CHECK(!json_get(host, "hostname") && !json_get(host, "nodename"));
	const struct json_value *extra = json_get(meta, "extra");
	CHECK(!strcmp(json_as_string(json_get(extra, "note")), "a \"quoted\" note"));
	uint64_t u;
	CHECK(json_as_u64(json_get(extra, "seed"), &u) && u == 1234);
	const struct json_value *pin = json_get(extra, "pinning");
	CHECK(pin && pin->type == JSON_OBJECT && json_as_u64(json_get(pin, "1"), &u) && u == 3);
	json_value_free(meta);

	/* Privacy: the host name appears nowhere in meta.json. */
	char hostname[256] = "";
	gethostname(hostname, sizeof(hostname));
	char *text = read_text(dir, "meta.json");
	if (strlen(hostname) >= 4 && text)
		CHECK(strstr(text, hostname) == NULL);
	free(text);
}

static void check_faults_csv(const char *dir)
{
	char *text = read_text(dir, "faults.csv");
	CHECK(text != NULL);
	if (!text)
		return;
	size_t lines = 0;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	CHECK_EQ_U64(lines, 1 + N_REALM + N_NORMAL);
	/* Header: fixed columns, every stage in enum order, rmi_calls. */
	char header[1024] = "run,vcpu,ipa,kind,level,total_ns";
	for (int s = 0; s < STAGE_COUNT; s++) {
		strcat(header, ",");
		strcat(header, stage_name((enum stage)s));
	}
	strcat(header, ",rmi_calls\n");
	CHECK(strncmp(text, header, strlen(header)) == 0);
	/* Row 2 of run 0 and the first row of run 1, field by field. */
	const char *row = strchr(text, '\n') + 1;
	row = strchr(strchr(row, '\n') + 1, '\n') + 1;
	char want[512];
	const struct fault_record *r = &realm_faults[2];
	int n = snprintf(want, sizeof(want), "0,0,0x%llx,protected,3,%llu",
			 (unsigned long long)r->ipa, (unsigned long long)r->total_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, ",%u", r->stage_ns[s]);
	snprintf(want + n, sizeof(want) - (size_t)n, ",3\n");
	CHECK(strncmp(row, want, strlen(want)) == 0);
	CHECK(strstr(text, "\n1,0,0x200000,normal,2,80001,") != NULL);
	free(text);
}

static int write_good_dir(const char *dir, bool overwrite)
{
	char err[256];
	struct results_meta meta = make_meta();
	meta.overwrite = overwrite;
	struct results_writer *w = results_open(dir, &meta, err, sizeof(err));
	CHECK(w != NULL);
	if (!w) {
		fprintf(stderr, "open: %s\n", err);
		return -1;
	}
	CHECK(results_meta_add_string(w, "note", "a \"quoted\" note", err, sizeof(err)) == 0);
	CHECK(results_meta_add_u64(w, "seed", 1234, err, sizeof(err)) == 0);
	CHECK(results_meta_add_double(w, "nan_is_null", NAN, err, sizeof(err)) == 0);
	CHECK(results_meta_add_json(w, "pinning", "{\"0\": 2, \"1\": 3}", err, sizeof(err)) == 0);
	/* Bad extras are refused and leave the writer usable. */
	CHECK(results_meta_add_u64(w, "seed", 1, err, sizeof(err)) == -1 && strstr(err, "twice"));
	CHECK(results_meta_add_json(w, "bad", "{\"a\": }", err, sizeof(err)) == -1 &&
	      strstr(err, "invalid JSON at 1:7"));

	struct results_run run = realm_run();
	CHECK(results_add_run(w, &run, err, sizeof(err)) == 0);
	run = normal_run();
	CHECK(results_add_run(w, &run, err, sizeof(err)) == 1);
	run = normal_run();
	run.n_faults = 0;
	run.faults = NULL;
	run.total_ns = 1000;
	CHECK(results_add_run(w, &run, err, sizeof(err)) == 2);
	int temporaries;
	count_entries(dir, &temporaries);
	CHECK_EQ_U64(temporaries, 1); /* faults.csv in progress, under a temp name */
	CHECK(!file_exists(dir, "faults.csv") || overwrite);
	int rc = results_commit(w, err, sizeof(err));
	if (rc)
		fprintf(stderr, "commit: %s\n", err);
	return rc;
}

static void test_bad_runs(const char *dir)
{
	char err[256];
	struct results_meta meta = make_meta();
	struct results_writer *w = results_open(dir, &meta, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	struct results_run run = realm_run();
	run.page = "4k";
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "page"));
	run = realm_run();
	run.source = "guessed";
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "data source"));
	run = realm_run();
	run.vcpus = 1; /* records on vCPU 1 */
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "vCPU 1"));
	run = realm_run();
	run.pattern = NULL;
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "\"pattern\""));
	struct results_count dup[] = { { "RMI_X", 1 }, { "RMI_X", 2 } };
	run = realm_run();
	run.counts = dup;
	run.n_counts = 2;
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "twice"));
	struct fault_record bad = normal_faults[0];
	bad.kind = 200;
	run = normal_run();
	run.faults = &bad;
	run.n_faults = 1;
	CHECK(results_add_run(w, &run, err, sizeof(err)) == -1 && strstr(err, "invalid kind"));
	results_discard(w);
	int temporaries;
	CHECK_EQ_U64(count_entries(dir, &temporaries), 0); /* discard left nothing */

	meta.source = "made-up";
	CHECK(results_open(dir, &meta, err, sizeof(err)) == NULL && strstr(err, "data source"));
	meta = make_meta();
	meta.backend = NULL;
	CHECK(results_open(dir, &meta, err, sizeof(err)) == NULL && strstr(err, "backend"));
}

/* A writer killed before commit leaves no final file behind. */
static void test_interrupted(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		struct results_meta meta = make_meta();
		struct results_writer *w = results_open(dir, &meta, err, sizeof(err));
		struct results_run run = realm_run();
		if (w)
			results_add_run(w, &run, err, sizeof(err));
		_exit(w ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(!file_exists(dir, "faults.csv") && !file_exists(dir, "summary.json") &&
	      !file_exists(dir, "meta.json"));
	char err[256];
	struct results_summary s;
	CHECK(results_load_summary(dir, &s, err, sizeof(err)) == -1 && strstr(err, "cannot open"));
}

static void expect_invalid(const char *dir, const char *summary_text, const char *fragment)
{
	write_text(dir, "summary.json", summary_text);
	char err[256] = "";
	struct results_summary s;
	int rc = results_load_summary(dir, &s, err, sizeof(err));
	CHECK(rc == -1);
	if (rc == 0)
		results_summary_free(&s);
	if (!strstr(err, fragment))
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, fragment);
	CHECK(strstr(err, fragment) != NULL);
}

/* Delete the first line containing NEEDLE. */
static char *without_line(const char *text, const char *needle)
{
	char *copy = strdup(text);
	char *at = strstr(copy, needle);
	if (!at)
		return copy;
	char *line = at;
	while (line > copy && line[-1] != '\n')
		line--;
	char *next = strchr(at, '\n');
	memmove(line, next + 1, strlen(next + 1) + 1);
	return copy;
}

static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = NULL;
	if (!at)
		return strdup(text);
	if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
		return NULL;
	return out;
}

static void test_validator(const char *dir)
{
	char *good = read_text(dir, "summary.json");
	CHECK(good != NULL);
	if (!good)
		return;
	char *t;
	/* The previous line ends with a comma that must go too. */
	t = replaced(good, "\"pattern\": \"seq\",\n", "");
	expect_invalid(dir, t, "runs[0]: missing field \"pattern\"");
	free(t);
	t = replaced(good, "\"schema\": 1", "\"schema\": 2");
	expect_invalid(dir, t, "schema version 2 is not supported");
	free(t);
	t = replaced(good, "\"schema\": 1", "\"schema\": \"1\"");
	expect_invalid(dir, t, "\"schema\" is string");
	free(t);
	t = without_line(good, "\"schema\"");
	expect_invalid(dir, t, "missing field \"schema\"");
	free(t);
	t = replaced(good, "\"size\": 2097152", "\"size\": -1");
	expect_invalid(dir, t, "runs[0]: field \"size\" is not an unsigned integer");
	free(t);
	t = replaced(good, "\"vcpus\": 1", "\"vcpus\": \"one\"");
	expect_invalid(dir, t, "runs[1]: field \"vcpus\" is string");
	free(t);
	t = replaced(good, "\"rec_exit\"", "\"rec_exitt\"");
	expect_invalid(dir, t, "unknown stage \"rec_exitt\"");
	free(t);
	t = replaced(good, "\"faults\": 500", "\"faults\": 501");
	expect_invalid(dir, t, "differs from faults");
	free(t);
	t = replaced(good, "\"faults_per_sec\": 100000", "\"faults_per_sec\": \"fast\"");
	expect_invalid(dir, t, "faults_per_sec");
	free(t);
	/* Truncated file: a reader error with a position, not a partial load. */
	t = strdup(good);
	t[strlen(t) / 2] = '\0';
	expect_invalid(dir, t, "end of input");
	free(t);
	expect_invalid(dir, "", "1:1: unexpected end of input");
	expect_invalid(dir, "[]", "not an object");
	/* The untouched text still loads (the edits above were the only fault). */
	write_text(dir, "summary.json", good);
	char err[256];
	struct results_summary s;
	CHECK(results_load_summary(dir, &s, err, sizeof(err)) == 0);
	results_summary_free(&s);
	free(good);
}

int main(void)
{
	char dir[] = "results-test-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char sub[64];
	snprintf(sub, sizeof(sub), "%s/out", dir); /* results_open creates it */
	make_faults();

	CHECK(write_good_dir(sub, false) == 0);
	int temporaries;
	CHECK_EQ_U64(count_entries(sub, &temporaries), 3);
	CHECK_EQ_U64(temporaries, 0);
	check_summary(sub);
	check_meta(sub);
	check_faults_csv(sub);

	/* Existing results are not silently replaced... */
	char err[256];
	struct results_meta meta = make_meta();
	CHECK(results_open(sub, &meta, err, sizeof(err)) == NULL && strstr(err, "already holds"));
	/* ...unless asked to. */
	CHECK(write_good_dir(sub, true) == 0);
	CHECK_EQ_U64(count_entries(sub, &temporaries), 3);
	CHECK_EQ_U64(temporaries, 0);
	check_summary(sub);
	test_validator(sub);
	remove_dir(sub);

	test_bad_runs(sub);
	remove_dir(sub);
	test_interrupted(sub);
	remove_dir(sub);
	rmdir(dir);
	return check_report("results");
}
