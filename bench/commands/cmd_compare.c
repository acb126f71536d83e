/*
 * `rme-bench compare A B`: what changed from results directory A to B.
 *
 * Configurations are matched on (vm, pattern, policy, abi, page, size,
 * vcpus), minus the fields given to --ignore (e.g. --ignore policy to put a
 * patched policy next to the one it was copied from). For each matched pair
 * and each metric (the whole fault, then every stage that took time on
 * either side) it prints both medians (nearest rank, over the faults where
 * the stage occurred, as summary.json counts them), the ratio B/A with a
 * seeded percentile-bootstrap 95 % CI from the raw samples in faults.csv,
 * and whether the difference is significant (the CI excludes 1). Counts
 * (faults, RMI/RSI commands, fault kinds) that differ are listed exactly;
 * configurations present on one side only are listed.
 *
 * --fail-above PCT gates a CI: exit 1 when, for some matched
 * configuration, the chosen metric's ratio B/A exceeds 1 + PCT/100 and the
 * difference is significant (CI low end above 1). Exit 2 for bad usage or
 * input, including no configuration in common and a gate metric that no
 * matched configuration has on both sides.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "commands.h"
#include "report/report.h"
#include "results/json.h"
#include "results/stats.h"

struct cmp_opts {
	double fail_above;     /* percent; NAN: no gate */
	enum stage metric;     /* STAGE_COUNT: the whole fault */
	const char *count_metric; /* an insn_* / op_* column (emulated counts), or NULL */
	bool ignored[REPORT_KEY_COUNT];
	bool json;
	unsigned bootstrap;
	uint64_t seed;
};

/* One metric of one matched configuration. */
struct cmp_row {
	enum stage stage;      /* STAGE_COUNT: fault */
	const char *count;     /* an instruction count column instead of a stage, or NULL */
	size_t na, nb;
	uint64_t med_a, med_b;
	bool has_ratio;
	struct ratio_ci ci;    /* of median(B) / median(A) */
	bool significant, regression;
};

static void compare_usage(FILE *out)
{
	fprintf(out,
		"usage: rme-bench compare [OPTIONS] A B\n"
		"  Per configuration and stage: medians of A and B, ratio B/A with a\n"
		"  bootstrap 95%% CI, significance; differing counts; unmatched configurations.\n"
		"  --fail-above PCT   exit 1 if METRIC of B is significantly more than PCT %%\n"
		"                     above A in some configuration\n"
		"  --metric M         fault (whole-fault median, default), a stage name, or an\n"
		"                     emulated instruction count column (insn_el2_ns, op_smc, ...)\n"
		"  --ignore LIST      key fields not to match on: vm,pattern,policy,abi,page,\n"
		"                     size,vcpus (e.g. --ignore policy for a patched policy)\n"
		"  --json             machine-readable output on stdout\n"
		"  --bootstrap N      resamples per ratio (default 1000)\n"
		"  --seed N           bootstrap seed (default 1)\n");
}

static int bad(const char *msg)
{
	fprintf(stderr, "rme-bench compare: %s\n", msg);
	return 2;
}

static const char *metric_name(enum stage s)
{
	return s == STAGE_COUNT ? "fault" : stage_name(s);
}

static int compute_row(const struct report_run *a, const struct report_run *b, enum stage s,
		       const struct cmp_opts *o, struct cmp_row *row)
{
	*row = (struct cmp_row){ .stage = s };
	uint64_t *va = report_samples(a, s, false, &row->na);
	uint64_t *vb = report_samples(b, s, false, &row->nb);
	int rc = -1;
	if (!va || !vb)
		goto out;
	rc = 0;
	if (row->na && row->nb &&
	    !report_bootstrap_median_ratio(vb, row->nb, va, row->na, o->bootstrap, 0.95, o->seed,
					   &row->ci)) {
		/* No interval narrower than the step the times take. */
		stats_widen_ratio_ci(&row->ci.low, &row->ci.high, report_median(vb, row->nb),
				     report_median(va, row->na), fmax(a->resolution_ns, b->resolution_ns));
		row->has_ratio = true;
		row->significant = row->ci.low > 1.0 || row->ci.high < 1.0;
		row->regression = s == o->metric && !isnan(o->fail_above) &&
				  row->ci.ratio > 1.0 + o->fail_above / 100.0 && row->ci.low > 1.0;
	}
	row->med_a = report_median(va, row->na);
	row->med_b = report_median(vb, row->nb);
out:
	free(va);
	free(vb);
	return rc;
}

static uint64_t count_of(const struct results_run_summary *s, const char *name)
{
	for (size_t i = 0; i < s->n_counts; i++)
		if (!strcmp(s->counts[i].name, name))
			return s->counts[i].count;
	return 0;
}

static uint64_t kind_of(const struct results_run_summary *s, const char *kind)
{
	uint64_t v = 0;
	json_as_u64(json_get(json_get(s->json, "kinds"), kind), &v);
	return v;
}

/* Calls FN for every count name of A or B (each once) with both values. */
static void each_count(const struct results_run_summary *a, const struct results_run_summary *b,
		       void (*fn)(void *, const char *, uint64_t, uint64_t), void *arg)
{
	fn(arg, "faults", a->faults, b->faults);
	for (int k = 0; k < FAULT_KIND_COUNT; k++) {
		const char *name = fault_kind_name((enum fault_kind)k);
		char label[64];
		snprintf(label, sizeof(label), "kind.%s", name);
		fn(arg, label, kind_of(a, name), kind_of(b, name));
	}
	for (size_t i = 0; i < a->n_counts; i++)
		fn(arg, a->counts[i].name, a->counts[i].count, count_of(b, a->counts[i].name));
	for (size_t i = 0; i < b->n_counts; i++) {
		bool in_a = false;
		for (size_t j = 0; j < a->n_counts && !in_a; j++)
			in_a = !strcmp(a->counts[j].name, b->counts[i].name);
		if (!in_a)
			fn(arg, b->counts[i].name, 0, b->counts[i].count);
	}
}

static void print_count(void *arg, const char *name, uint64_t a, uint64_t b)
{
	(void)arg;
	if (a != b)
		printf("    count %-28s %12llu -> %-12llu (%+lld)\n", name, (unsigned long long)a,
		       (unsigned long long)b, (long long)(b - a));
}

static void json_count(void *arg, const char *name, uint64_t a, uint64_t b)
{
	struct json_writer *w = arg;
	if (a == b)
		return;
	json_begin_object(w);
	json_member_string(w, "name", name);
	json_member_u64(w, "a", a);
	json_member_u64(w, "b", b);
	json_end_object(w);
}

static const char *row_name(const struct cmp_row *r)
{
	return r->count ? r->count : metric_name(r->stage);
}

static void print_row(const struct cmp_row *r)
{
	printf("    %-17s %12llu %12llu ", row_name(r), (unsigned long long)r->med_a,
	       (unsigned long long)r->med_b);
	if (!r->has_ratio) {
		printf("  %s\n", !r->na && !r->nb ? "-" : !r->na ? "only in B" : !r->nb ? "only in A"
										: "no ratio (median 0)");
		return;
	}
	printf("%8.3f  [%7.3f, %7.3f]  %s%s\n", r->ci.ratio, r->ci.low, r->ci.high,
	       r->significant ? (r->ci.ratio > 1 ? "slower" : "faster") : "no significant change",
	       r->regression ? "  REGRESSION" : "");
}

static void json_row(struct json_writer *w, const struct cmp_row *r)
{
	json_begin_object(w);
	json_member_string(w, "metric", row_name(r));
	json_member_u64(w, "n_a", r->na);
	json_member_u64(w, "n_b", r->nb);
	json_key(w, "median_a_ns");
	r->na ? json_u64(w, r->med_a) : json_null(w);
	json_key(w, "median_b_ns");
	r->nb ? json_u64(w, r->med_b) : json_null(w);
	json_member_double(w, "ratio", r->has_ratio ? r->ci.ratio : NAN);
	json_member_double(w, "ci_low", r->has_ratio ? r->ci.low : NAN);
	json_member_double(w, "ci_high", r->has_ratio ? r->ci.high : NAN);
	json_member_bool(w, "significant", r->significant);
	json_member_bool(w, "regression", r->regression);
	json_end_object(w);
}

/* Instruction count columns (`rme-bench insn merge`) present on both
 * sides: medians over every fault (a count of 0 is a value), ratio CI
 * like the stages'. Columns that are 0 everywhere on both sides are left out. */
static int compute_count_row(const struct report_run *a, const struct report_run *b, int ia,
			     int ib, const char *name, const struct cmp_opts *o,
			     struct cmp_row *row)
{
	*row = (struct cmp_row){ .stage = STAGE_COUNT, .count = name, .na = a->n, .nb = b->n };
	uint64_t *va = malloc((a->n ? a->n : 1) * sizeof(*va));
	uint64_t *vb = malloc((b->n ? b->n : 1) * sizeof(*vb));
	if (!va || !vb) {
		free(va);
		free(vb);
		return -1;
	}
	memcpy(va, a->count[ia], a->n * sizeof(*va));
	memcpy(vb, b->count[ib], b->n * sizeof(*vb));
	if (row->na && row->nb &&
	    !report_bootstrap_median_ratio(vb, row->nb, va, row->na, o->bootstrap, 0.95, o->seed,
					   &row->ci)) {
		row->has_ratio = true;
		row->significant = row->ci.low > 1.0 || row->ci.high < 1.0;
		row->regression = o->count_metric && !strcmp(o->count_metric, name) &&
				  !isnan(o->fail_above) &&
				  row->ci.ratio > 1.0 + o->fail_above / 100.0 && row->ci.low > 1.0;
	}
	row->med_a = report_median(va, row->na);
	row->med_b = report_median(vb, row->nb);
	free(va);
	free(vb);
	return 0;
}

static bool all_zero(const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static int compare_counts(const struct report_dir *da, const struct report_dir *db,
			  const struct report_run *a, const struct report_run *b,
			  const struct cmp_opts *o, struct json_writer *w, size_t *regressions,
			  size_t *gated)
{
	for (size_t i = 0; i < da->n_count; i++) {
		int ib = report_count_index(db, da->count_name[i]);
		if (ib < 0 || (all_zero(a->count[i], a->n) && all_zero(b->count[ib], b->n)))
			continue;
		struct cmp_row row;
		if (compute_count_row(a, b, (int)i, ib, da->count_name[i], o, &row))
			return -1;
		*regressions += row.regression;
		*gated += o->count_metric && !strcmp(o->count_metric, row.count) && row.has_ratio;
		if (w)
			json_row(w, &row);
		else
			print_row(&row);
	}
	return 0;
}

/* Compare one matched pair; *regressions counts gate failures and *gated
 * the pairs in which the gate's metric could be compared at all. */
static int compare_pair(const struct report_dir *da, const struct report_dir *db,
			const struct report_run *a, const struct report_run *b,
			const struct cmp_opts *o, struct json_writer *w, size_t *regressions,
			size_t *gated)
{
	char la[160], lb[160];
	report_run_label(a->sum, NULL, la, sizeof(la));
	report_run_label(b->sum, NULL, lb, sizeof(lb));
	if (w) {
		json_begin_object(w);
		json_member_string(w, "a", la);
		json_member_string(w, "b", lb);
		json_key(w, "metrics");
		json_begin_array(w);
	} else {
		printf("\n%s%s%s\n", la, strcmp(la, lb) ? "  vs  " : "", strcmp(la, lb) ? lb : "");
		printf("    %-17s %12s %12s %8s  %-18s  %s\n", "metric", "A p50 ns", "B p50 ns",
		       "B/A", "95% CI", "");
	}
	/* the whole fault first, then the stages in pipeline order */
	for (int i = -1; i < STAGE_COUNT; i++) {
		enum stage st = i < 0 ? STAGE_COUNT : (enum stage)i;
		if (st != STAGE_COUNT && !a->sum->has_stage[st] && !b->sum->has_stage[st])
			continue;
		struct cmp_row row;
		if (compute_row(a, b, st, o, &row))
			return -1;
		*regressions += row.regression;
		*gated += !o->count_metric && st == o->metric && row.has_ratio;
		if (w)
			json_row(w, &row);
		else
			print_row(&row);
	}
	if (compare_counts(da, db, a, b, o, w, regressions, gated))
		return -1;
	if (w) {
		json_end_array(w);
		json_key(w, "counts_differ");
		json_begin_array(w);
		each_count(a->sum, b->sum, json_count, w);
		json_end_array(w);
		json_end_object(w);
	} else {
		each_count(a->sum, b->sum, print_count, NULL);
	}
	return 0;
}

static void describe(const struct report_dir *d, const char *tag, struct json_writer *w)
{
	bool emulated;
	const char *platform = report_platform(d, &emulated);
	if (w) {
		json_key(w, tag);
		json_begin_object(w);
		json_member_string(w, "dir", d->path);
		const char *keys[] = { "source", "backend", "abi", "policy", "git_rev", "start_time" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			json_member_string(w, keys[i], report_meta_string(d, keys[i]));
		json_member_string(w, "platform", platform);
		json_member_bool(w, "emulated", emulated);
		json_end_object(w);
		return;
	}
	printf("%s: %s (%s, backend %s, RMI ABI %s, policy %s, git %s; %s)\n", tag, d->path,
	       report_meta_string(d, "source"), report_meta_string(d, "backend"),
	       report_meta_string(d, "abi"), report_meta_string(d, "policy"),
	       report_meta_string(d, "git_rev"), platform);
}

static void list_unmatched(const struct report_dir *d, const bool *matched, const char *side,
			   struct json_writer *w)
{
	if (w) {
		json_key(w, side[0] == 'A' ? "only_in_a" : "only_in_b");
		json_begin_array(w);
	}
	for (size_t i = 0; i < d->n_runs; i++) {
		if (matched[i])
			continue;
		char label[160];
		report_run_label(d->runs[i].sum, NULL, label, sizeof(label));
		if (w)
			json_string(w, label);
		else
			printf("only in %s: %s\n", side, label);
	}
	if (w)
		json_end_array(w);
}

static int parse_ignore(struct cmp_opts *o, char *text)
{
	char *items[REPORT_KEY_COUNT + 1], err[256];
	size_t n;
	if (cli_split_list("--ignore", text, items, REPORT_KEY_COUNT, &n, err, sizeof(err)))
		return bad(err);
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		while (k < REPORT_KEY_COUNT && strcmp(items[i], report_key_names[k]))
			k++;
		if (k == REPORT_KEY_COUNT) {
			snprintf(err, sizeof(err), "--ignore: '%s' is not a key field "
				 "(vm, pattern, policy, abi, page, size, vcpus)", items[i]);
			return bad(err);
		}
		o->ignored[k] = true;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct cmp_opts *o)
{
	static const struct option opts[] = {
		{ "fail-above", required_argument, NULL, 'F' },
		{ "metric", required_argument, NULL, 'M' },
		{ "ignore", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'J' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char err[256], *end;
	uint64_t v;
	int opt;
	*o = (struct cmp_opts){ .fail_above = NAN, .metric = STAGE_COUNT, .bootstrap = 1000,
				.seed = 1 };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'F':
			o->fail_above = strtod(optarg, &end);
			if (end == optarg || *end || !(o->fail_above >= 0) || isinf(o->fail_above))
				return bad("--fail-above: expected a percentage >= 0, e.g. 5");
			break;
		case 'M':
			if (!strcmp(optarg, "fault")) {
				o->metric = STAGE_COUNT;
			} else if (!strncmp(optarg, "insn_", 5) || !strncmp(optarg, "op_", 3)) {
				o->count_metric = optarg; /* checked against the files: gated */
			} else if ((o->metric = stage_from_name(optarg)) == STAGE_COUNT) {
				snprintf(err, sizeof(err), "--metric: '%s' is not fault or a stage "
					 "(see 'rme-bench list stages')", optarg);
				return bad(err);
			}
			break;
		case 'I':
			if (parse_ignore(o, optarg))
				return 2;
			break;
		case 'J': o->json = true; break;
		case 'B':
			if (cli_parse_u64("--bootstrap", optarg, 100000, &v, err, sizeof(err)))
				return bad(err);
			if (v < 10)
				return bad("--bootstrap: at least 10 resamples");
			o->bootstrap = (unsigned)v;
			break;
		case 'S':
			if (cli_parse_u64("--seed", optarg, UINT64_MAX, &o->seed, err, sizeof(err)))
				return bad(err);
			break;
		case 'h': compare_usage(stdout); return 1;
		default:
			snprintf(err, sizeof(err), "unknown or incomplete option '%s'", argv[optind - 1]);
			return bad(err);
		}
	}
	if (argc - optind != 2) {
		compare_usage(stderr);
		return 2;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_opts o;
	struct report_dir a = { 0 }, b = { 0 };
	char err[512];
	bool *matched_a = NULL, *matched_b = NULL;
	int ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret == 1 ? 0 : ret;
	ret = 2;
	if (report_load(argv[optind], &a, err, sizeof(err)) ||
	    report_load(argv[optind + 1], &b, err, sizeof(err))) {
		fprintf(stderr, "rme-bench compare: %s\n", err);
		goto out;
	}
	matched_a = calloc(a.n_runs, sizeof(bool));
	matched_b = calloc(b.n_runs, sizeof(bool));
	if (!matched_a || !matched_b) {
		fprintf(stderr, "rme-bench compare: out of memory\n");
		ret = 1;
		goto out;
	}

	struct json_writer jw, *w = NULL;
	if (o.json) {
		w = &jw;
		json_writer_init(w, stdout, true);
		json_begin_object(w);
	}
	describe(&a, "A", w);
	describe(&b, "B", w);
	/* sim-measured against real-vm (or another backend) is allowed, but it
	 * compares two different kinds of number: say so up front */
	bool mixed = strcmp(report_meta_string(&a, "source"), report_meta_string(&b, "source")) ||
		     strcmp(report_meta_string(&a, "backend"), report_meta_string(&b, "backend"));
	if (w)
		json_member_bool(w, "sources_differ", mixed);
	else if (mixed)
		printf("note: A and B come from different sources or backends (%s/%s vs %s/%s); "
		       "their times are not the same kind of number\n",
		       report_meta_string(&a, "source"), report_meta_string(&a, "backend"),
		       report_meta_string(&b, "source"), report_meta_string(&b, "backend"));
	if (w) {
		json_member_string(w, "metric", metric_name(o.metric));
		json_member_double(w, "fail_above_pct", o.fail_above);
		json_member_u64(w, "bootstrap", o.bootstrap);
		json_key(w, "configurations");
		json_begin_array(w);
	}
	size_t pairs = 0, regressions = 0, gated = 0;
	for (size_t i = 0; i < a.n_runs; i++)
		for (size_t j = 0; j < b.n_runs; j++) {
			if (matched_b[j] || !report_same_config(a.runs[i].sum, b.runs[j].sum, o.ignored))
				continue;
			matched_a[i] = matched_b[j] = true;
			pairs++;
			if (compare_pair(&a, &b, &a.runs[i], &b.runs[j], &o, w, &regressions, &gated)) {
				fprintf(stderr, "rme-bench compare: out of memory\n");
				ret = 1;
				goto out;
			}
			break;
		}
	if (w)
		json_end_array(w);
	else
		printf("\n");
	list_unmatched(&a, matched_a, "A", w);
	list_unmatched(&b, matched_b, "B", w);
	if (w) {
		json_member_u64(w, "matched", pairs);
		json_member_u64(w, "regressions", regressions);
		json_end_object(w);
		if (json_writer_finish(w)) {
			fprintf(stderr, "rme-bench compare: cannot write JSON output\n");
			ret = 1;
			goto out;
		}
		printf("\n");
	}
	if (!pairs) {
		fprintf(stderr, "rme-bench compare: no configuration of %s matches one of %s; "
			"--ignore FIELDS relaxes the match (e.g. --ignore policy for a patched "
			"policy, --ignore size for runs of other sizes)\n", a.path, b.path);
		goto out;
	}
	if (!isnan(o.fail_above) && !gated) {
		/* a gate that cannot fire must not pass silently */
		fprintf(stderr, "rme-bench compare: --metric %s: no matched configuration has it on "
			"both sides, so --fail-above cannot be checked\n",
			o.count_metric ? o.count_metric : metric_name(o.metric));
		goto out;
	}
	if (!isnan(o.fail_above)) {
		if (!w)
			printf("%s: %zu of %zu configurations regress by more than %g %% in the %s "
			       "median (significant at 95 %%)\n", regressions ? "FAIL" : "ok",
			       regressions, pairs, o.fail_above, metric_name(o.metric));
		ret = regressions ? 1 : 0;
	} else {
		ret = 0;
	}
out:
	free(matched_a);
	free(matched_b);
	report_free(&a);
	report_free(&b);
	return ret;
}
