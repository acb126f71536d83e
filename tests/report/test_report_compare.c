/*
 * rme-bench compare flags a deliberately slowed policy.
 *
 * This test registers, in this binary only, "cca-v1-slow": the cca-v1
 * policy with a busy-wait of SLOW_NS added to every protected mapping
 * (before the real hook, so the time lands in the fault's total). It runs
 * the same configuration through the sim harness with cca-v1 (A) and with
 * cca-v1-slow (B), writes real results directories (make_dirs) and checks
 * rme-bench compare:
 *   A vs B --ignore policy --fail-above 25 -> exit 1, realm seq REGRESSION;
 *   B vs A (an improvement) and A vs A      -> exit 0;
 *   A vs B without --ignore                 -> the realm runs listed as unmatched;
 *   A vs C (slow realm only), no --ignore   -> exit 2 (nothing in common);
 *   A vs D (normal only, twice the size)    -> exact count differences listed;
 *   --json                                  -> strict JSON naming the regression;
 *   bad options                             -> exit 2.
 *
 * usage: test_report_compare RME_BENCH
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kvm/policy.h"
#include "payload/pattern.h"
#include "report_test.h"
#include "harness/sim_harness.h"
#include "results/json.h"
#include "results/results.h"
#include "clock/stage_clock.h"

/* Several times a sim fault (a few us natively, tens under sanitizers). */
#define SLOW_NS 150000ULL

static const char *bench;
static char work[PATH_MAX];

static void spin_ns(uint64_t ns)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
		       (uint64_t)a.tv_nsec < ns);
}

static int slow_map_protected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	spin_ns(SLOW_NS);
	return policy_cca_v1.map_protected(vcpu, ipa, pa, size);
}

static struct kvm_policy slow_policy;

static struct results_writer *open_dir(const char *dir, const char *policy)
{
	char err[256];
	char *argv[] = { "test_report_compare", (char *)policy, NULL };
	struct results_meta meta = {
		.backend = "sim", .abi = "1.0", .policy = policy, .profile = "none",
		.source = RESULTS_SOURCE_SIM_MEASURED, .argc = 2, .argv = argv,
	};
	struct results_writer *w = results_open(dir, &meta, err, sizeof(err));
	if (!w)
		fprintf(stderr, "results_open %s: %s\n", dir, err);
	/* The slowed policy exists in this binary only: marked foreign, as
	 * results of a policy the reading build does not know must be. */
	else if (results_meta_add_string(w, "foreign_policy", "cca-v1-slow", err, sizeof(err)))
		fprintf(stderr, "results_meta_add_string: %s\n", err);
	return w;
}

/* Run seq on 4K pages, 1 vCPU, SIZE bytes, with POLICY; add it to each of W. */
static int run_into(const struct kvm_policy *policy, uint64_t size, struct results_writer **w,
		    size_t n_w)
{
	char err[256];
	struct run_config cfg = {
		.vm = policy->vm,
		.policy = policy,
		.pattern = pattern_find("seq"),
		.size = size,
		.page = PATTERN_SZ_4K,
		.vcpus = 1,
		.seed = 1,
		.stage_timing = true,
	};
	struct run_result r;
	if (!cfg.pattern || sim_run(&cfg, &r)) {
		fprintf(stderr, "sim_run %s: %s\n", policy->name, cfg.pattern ? r.error : "no seq");
		return -1;
	}
	struct results_run run = {
		.vm = policy->vm == VM_REALM ? "realm" : "normal", .pattern = "seq",
		.policy = policy->name, .abi = policy->vm == VM_REALM ? "1.0" : "-", .page = "4K",
		.size = cfg.size, .vcpus = 1, .faults = r.faults, .n_faults = r.n_faults,
		.dropped_faults = r.dropped_faults, .counts = r.counts, .n_counts = r.n_counts,
		.total_ns = r.total_ns, .source = RESULTS_SOURCE_SIM_MEASURED,
	};
	int rc = 0;
	for (size_t i = 0; i < n_w && !rc; i++)
		if (results_add_run(w[i], &run, err, sizeof(err)) < 0) {
			fprintf(stderr, "results_add_run: %s\n", err);
			rc = -1;
		}
	run_result_free(&r);
	return rc;
}

/*
 * A: cca-v1 and normal; B: cca-v1-slow and the same normal run (so the
 * normal configuration is identical in A and B, and only the policy under
 * test can differ); C: cca-v1-slow only (nothing in common with A); D: a
 * normal run twice the size (its counts differ from A's by known amounts).
 */
static int make_dirs(const char *a, const char *b, const char *c, const char *d)
{
	struct results_writer *w[4] = { open_dir(a, "cca-v1"), open_dir(b, "cca-v1-slow"),
					open_dir(c, "cca-v1-slow"), open_dir(d, "normal") };
	const struct kvm_policy *normal = kvm_policy_find("normal");
	int rc = !w[0] || !w[1] || !w[2] || !w[3] || !normal ? -1 : 0;
	if (!rc)
		rc = run_into(normal, 2ULL << 20, w, 2);
	if (!rc)
		rc = run_into(&policy_cca_v1, 2ULL << 20, w, 1);
	if (!rc)
		rc = run_into(&slow_policy, 2ULL << 20, w + 1, 2);
	if (!rc)
		rc = run_into(normal, 4ULL << 20, w + 3, 1);
	for (int i = 0; i < 4; i++) {
		char err[256];
		if (!w[i])
			continue;
		if (rc)
			results_discard(w[i]);
		else if (results_commit(w[i], err, sizeof(err))) {
			fprintf(stderr, "results_commit: %s\n", err);
			rc = -1;
		}
	}
	return rc;
}

static int compare(const char *out, const char *err, const char *a, const char *b,
		   const char *const *opts)
{
	char *argv[16] = { (char *)bench, "compare" };
	int n = 2;
	for (size_t i = 0; opts && opts[i] && n < 13; i++)
		argv[n++] = (char *)opts[i];
	argv[n++] = (char *)a;
	argv[n++] = (char *)b;
	argv[n] = NULL;
	return rt_run(argv, out, err, NULL, NULL);
}

static void check_json(const char *path)
{
	size_t len;
	char *text = rt_read_file(path, &len);
	struct json_error jerr;
	struct json_value *doc = text ? json_parse(text, len, &jerr) : NULL;
	CHECK(doc != NULL);
	if (!doc) {
		if (text)
			fprintf(stderr, "compare --json: %d:%d: %s\n", jerr.line, jerr.column,
				jerr.message);
		free(text);
		return;
	}
	uint64_t regressions = 0, matched = 0;
	CHECK(json_as_u64(json_get(doc, "regressions"), &regressions) && regressions == 1);
	CHECK(json_as_u64(json_get(doc, "matched"), &matched) && matched == 2);
	const struct json_value *configs = json_get(doc, "configurations");
	bool found = false;
	for (size_t i = 0; configs && i < configs->array.count; i++) {
		const struct json_value *c = &configs->array.items[i];
		const char *a = json_as_string(json_get(c, "a"));
		if (!a || strncmp(a, "realm seq", 9))
			continue;
		const struct json_value *m = &json_get(c, "metrics")->array.items[0];
		double ratio = 0, low = 0;
		CHECK(!strcmp(json_as_string(json_get(m, "metric")), "fault"));
		CHECK(json_as_double(json_get(m, "ratio"), &ratio) && ratio > 1.25);
		CHECK(json_as_double(json_get(m, "ci_low"), &low) && low > 1.0);
		CHECK(json_get(m, "regression")->type == JSON_BOOL &&
		      json_get(m, "regression")->boolean);
		found = true;
	}
	CHECK(found);
	json_value_free(doc);
	free(text);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s RME_BENCH\n", argv[0]);
		return 2;
	}
	bench = argv[1];
	snprintf(work, sizeof(work), "report-compare-%d", (int)getpid());
	rt_remove_tree(work);
	if (mkdir(work, 0755) || stage_clock_init()) {
		fprintf(stderr, "cannot set up %s or the stage clock\n", work);
		return 1;
	}
	slow_policy = policy_cca_v1;
	slow_policy.name = "cca-v1-slow";
	slow_policy.summary = "test only: cca-v1 plus a busy-wait per protected mapping";
	slow_policy.map_protected = slow_map_protected;

	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], d[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	snprintf(a, sizeof(a), "%s/a", work);
	snprintf(b, sizeof(b), "%s/b", work);
	snprintf(c, sizeof(c), "%s/c", work);
	snprintf(d, sizeof(d), "%s/d", work);
	snprintf(out, sizeof(out), "%s/compare.out", work);
	snprintf(err, sizeof(err), "%s/compare.err", work);
	if (make_dirs(a, b, c, d)) {
		fprintf(stderr, "report_compare: cannot make the results directories\n");
		return 1;
	}

	const char *gate[] = { "--ignore", "policy", "--fail-above", "25", NULL };
	int st = compare(out, err, a, b, gate);
	CHECK(st == 1);
	CHECK(rt_file_contains(out, "REGRESSION"));
	CHECK(rt_file_contains(out, "FAIL: 1 of 2 configurations"));
	CHECK(rt_file_contains(out, "realm seq cca-v1 1.0 4K 2M 1vcpu  vs  realm seq cca-v1-slow"));

	CHECK(compare(out, err, b, a, gate) == 0); /* faster is not a regression */
	CHECK(rt_file_contains(out, "faster"));
	const char *strict[] = { "--fail-above", "0", NULL };
	CHECK(compare(out, err, a, a, strict) == 0);
	CHECK(rt_file_contains(out, "ok: 0 of 2 configurations"));

	/* policies differ: only the normal run matches unless told otherwise */
	CHECK(compare(out, err, a, b, NULL) == 0);
	CHECK(rt_file_contains(out, "only in A: realm seq cca-v1 1.0 4K 2M 1vcpu"));
	CHECK(rt_file_contains(out, "only in B: realm seq cca-v1-slow 1.0 4K 2M 1vcpu"));
	CHECK(compare(out, err, a, c, NULL) == 2);
	CHECK(rt_file_contains(err, "--ignore policy"));

	/* counts that differ are listed exactly: 2 MiB vs 4 MiB of 4 KiB faults */
	const char *sizes[] = { "--ignore", "size", NULL };
	CHECK(compare(out, err, a, d, sizes) == 0);
	CHECK(rt_file_contains(out, "count faults"));
	CHECK(rt_file_contains(out, "512 -> 1024         (+512)"));
	CHECK(rt_file_contains(out, "count kind.normal"));

	const char *json[] = { "--json", "--ignore", "policy", "--fail-above", "25", NULL };
	CHECK(compare(out, err, a, b, json) == 1);
	check_json(out);

	/* metric selection: a stage the busy-wait does not touch does not gate */
	const char *stage[] = { "--ignore", "policy", "--metric", "rec_exit", "--fail-above",
				"1000", NULL };
	CHECK(compare(out, err, a, b, stage) == 0);

	/* a gate on a stage no run has cannot pass silently */
	const char *absent[] = { "--ignore", "policy", "--metric", "rtt_fold", "--fail-above",
				 "5", NULL };
	CHECK(compare(out, err, a, b, absent) == 2);
	CHECK(rt_file_contains(err, "--fail-above cannot be checked"));

	const char *bad_metric[] = { "--metric", "nonsense", NULL };
	CHECK(compare(NULL, err, a, b, bad_metric) == 2);
	CHECK(rt_file_contains(err, "--metric"));
	const char *bad_pct[] = { "--fail-above", "-3", NULL };
	CHECK(compare(NULL, err, a, b, bad_pct) == 2);
	CHECK(rt_file_contains(err, "--fail-above"));
	const char *bad_key[] = { "--ignore", "colour", NULL };
	CHECK(compare(NULL, err, a, b, bad_key) == 2);
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/none", work);
	CHECK(compare(NULL, err, a, missing, NULL) == 2);

	if (!report_test_failures)
		rt_remove_tree(work);
	if (report_test_failures)
		fprintf(stderr, "report_compare: %d check(s) failed (work dir %s kept)\n",
			report_test_failures, work);
	else
		printf("report_compare: ok\n");
	return report_test_failures != 0;
}
