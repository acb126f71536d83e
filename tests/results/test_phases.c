/*
 * Lifecycle phase records and sampled runs round trip through summary.json:
 * a run with phases and an exact histogram (its faults.csv rows a sample)
 * is written, loaded back (faults exact, rows = faults_sampled, the
 * distribution from the histogram) and its phases read as written; a run
 * without either keeps today's keys.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "results/results.h"

static char *argv0[] = { "rme-bench", "run" };

static struct results_run base_run(struct fault_record *faults, size_t n)
{
	return (struct results_run){ .vm = "realm", .pattern = "seq", .policy = "cca-v1",
				     .abi = "1.0", .page = "4K", .size = 1 << 20, .vcpus = 1,
				     .faults = faults, .n_faults = n, .total_ns = 5000,
				     .source = RESULTS_SOURCE_SIM_MEASURED };
}

int main(void)
{
	char dir[] = "phases-test-XXXXXX", err[256];
	struct fault_record faults[4];
	struct results_fault_hist *h = calloc(1, sizeof(*h));
	struct results_count counts[] = { { "RMI_DATA_CREATE", 513 } };
	struct results_count stages[] = { { "data_create", 9000 }, { "copy", 100 } };
	struct results_phase phases[] = {
		{ .phase = "populate", .bytes = 2 << 20, .total_ns = 4000, .rmi_calls = 513,
		  .measured = 1, .counts = counts, .n_counts = 1, .stages = stages, .n_stages = 2 },
		{ .phase = "teardown", .bytes = 0, .total_ns = 10, .measured = -1 },
	};

	CHECK(mkdtemp(dir) != NULL && h);
	memset(faults, 0, sizeof(faults));
	histogram_init(&h->fault_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		histogram_init(&h->stages[s]);
	for (int i = 0; i < 4; i++)
		faults[i] = (struct fault_record){ .ipa = (uint64_t)i << 12, .total_ns = 700 };
	for (int i = 0; i < 10; i++) /* ten faults, four of them sampled */
		histogram_record(&h->fault_ns, 700 + (uint64_t)i * 100);
	h->n = 10;
	h->kinds[FAULT_PROTECTED] = 10;
	h->rmi_calls = 20;

	struct results_meta meta = { .backend = "sim", .abi = "1.0", .policy = "cca-v1",
				     .source = RESULTS_SOURCE_SIM_MEASURED, .argc = 2,
				     .argv = argv0 };
	struct results_writer *w = results_open(dir, &meta, err, sizeof(err));
	struct results_run sampled = base_run(faults, 4), plain = base_run(faults, 4);
	sampled.hist = h;
	sampled.phases = phases;
	sampled.n_phases = 2;
	CHECK(w && results_add_run(w, &sampled, err, sizeof(err)) == 0);
	CHECK(results_add_run(w, &plain, err, sizeof(err)) == 1);
	phases[0].phase = "boot";
	CHECK(results_add_run(w, &sampled, err, sizeof(err)) == -1 && strstr(err, "phase 0"));
	CHECK(results_commit(w, err, sizeof(err)) == 0);

	struct results_summary s;
	CHECK(results_load_summary(dir, &s, err, sizeof(err)) == 0);
	CHECK_EQ_U64(s.n_runs, 2);
	const struct results_run_summary *r = &s.runs[0];
	CHECK_EQ_U64(r->faults, 10);
	CHECK_EQ_U64(r->rows, 4);
	CHECK_EQ_U64(r->fault_ns.n, 10);
	CHECK_EQ_U64(r->fault_ns.min_ns, 700);
	CHECK_EQ_U64(r->fault_ns.max_ns, 1600);
	CHECK(!r->fault_ns.has_ci);
	const struct json_value *ph = json_get(r->json, "phases");
	CHECK(ph && ph->type == JSON_ARRAY && ph->array.count == 2);
	if (ph && ph->type == JSON_ARRAY && ph->array.count == 2) {
		const struct json_value *p0 = &ph->array.items[0], *p1 = &ph->array.items[1];
		double per_mib;
		CHECK(!strcmp(json_as_string(json_get(p0, "phase")), "populate"));
		CHECK(json_as_double(json_get(p0, "rmi_calls_per_mib"), &per_mib) &&
		      per_mib == 256.5);
		CHECK(json_get(p0, "measured")->type == JSON_BOOL &&
		      json_get(p0, "measured")->boolean);
		CHECK(json_get(json_get(p0, "stages_ns"), "copy") != NULL);
		CHECK(json_get(p1, "measured") == NULL); /* not a realm's populate */
		CHECK(json_get(p1, "ns_per_mib")->type == JSON_NULL); /* 0 bytes */
	}
	/* The plain run: every row a fault, no new keys. */
	CHECK_EQ_U64(s.runs[1].rows, 4);
	CHECK(json_get(s.runs[1].json, "phases") == NULL);
	CHECK(json_get(s.runs[1].json, "faults_sampled") == NULL);
	results_summary_free(&s);

	const char *files[] = { "summary.json", "meta.json", "faults.csv" };
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(h);
	return check_report("results_phases");
}
