/*
 * `rme-bench gbench`: run the Google Benchmark cases (bench/cases) and
 * write DIR/gbench.json, plus DIR/topology.xml when the directory does not
 * have one yet (a results directory of `run` already does).
 *
 * Contract: parses its own options, passes everything after `--` to
 * Google Benchmark (--benchmark_filter, --benchmark_repetitions, ...),
 * adds the run's context (ABI, policy, clock source and frequency,
 * topology file, where the numbers come from) and runs the cases once.
 * The JSON file is strict JSON (the shim's reporters) and is written even
 * when some cases reported an error, so a failing configuration shows up
 * as an error entry with its message instead of disappearing.
 *
 * Exit status: 0 every selected case measured; 1 some case reported an
 * error (listed on stderr, kept in gbench.json), or nothing could be
 * written; 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cases/cases.h"
#include "cli/cli.h"
#include "commands.h"
#include "gbench/gbench.h"
#include "kvm/policy.h"
#include "results/provenance.h"
#include "sys/topology.h"
#include "clock/stage_clock.h"

#define MAX_GB_ARGS 64

struct gbench_options {
	struct gbench_case_opts cases;
	const char *out;
	char out_buf[128];
	char *gb_args[MAX_GB_ARGS];
	int n_gb_args;
};

static void gbench_usage(FILE *out)
{
	fprintf(out,
		"usage: rme-bench gbench [OPTIONS] [-- GOOGLE-BENCHMARK-FLAGS]\n"
		"  --out DIR          results directory: DIR/gbench.json (and DIR/topology.xml\n"
		"                     if missing); default results/gbench-<time>\n"
		"  --abi 1.0|2.0      RMI cases and realm fault cases of this ABI only\n"
		"  --policy NAME      fault cases of this policy only (see list policies)\n"
		"  --min-time SEC     measured time per rmi/s2map/clock case (default %.2f)\n"
		"  --fault-runs N     fresh VM runs per fault case (default %d)\n"
		"  --fault-size BYTES memory per vCPU of a fault case, K/M/G, a multiple of\n"
		"                     2M (default 8M)\n"
		"  --fault-vcpus N    vCPUs of a fault case (default %d)\n"
		"  --fault-timeout SEC  a fault-case run taking longer is killed and\n"
		"                     reported as an error (default %.0f)\n"
		"  --filter REGEX     same as -- --benchmark_filter=REGEX\n"
		"Every number is sim-measured on this host (see docs/gbench.md).\n"
		"Default: about 30 s on a 2-core machine; --min-time 0.5 --fault-runs 10\n"
		"--fault-size 64M gives steadier numbers in a few minutes.\n",
		GBENCH_DEFAULT_MIN_TIME, GBENCH_DEFAULT_FAULT_RUNS, GBENCH_DEFAULT_FAULT_VCPUS,
		GBENCH_DEFAULT_FAULT_TIMEOUT);
}

static int gb_bad(const char *msg)
{
	fprintf(stderr, "rme-bench gbench: %s\n", msg);
	return 2;
}

static int parse_seconds(const char *opt, const char *text, double max, double *out, char *err,
			 size_t len)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || !(*out > 0) || *out > max) {
		snprintf(err, len, "%s: '%s' is not a number of seconds in (0, %g]", opt, text, max);
		return -1;
	}
	return 0;
}

static int add_gb_arg(struct gbench_options *o, char *arg)
{
	if (o->n_gb_args == MAX_GB_ARGS)
		return gb_bad("too many Google Benchmark flags");
	o->gb_args[o->n_gb_args++] = arg;
	return 0;
}

/* 0 ok, 1 help printed, 2 usage error. */
static int parse_gbench_options(int argc, char **argv, struct gbench_options *o)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "abi", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },
		{ "min-time", required_argument, NULL, 't' },
		{ "fault-runs", required_argument, NULL, 'r' },
		{ "fault-size", required_argument, NULL, 'b' },
		{ "fault-vcpus", required_argument, NULL, 'v' },
		{ "fault-timeout", required_argument, NULL, 'T' },
		{ "filter", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static char filter_arg[512];
	char err[256];
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->cases = (struct gbench_case_opts){
		.min_time = GBENCH_DEFAULT_MIN_TIME,
		.fault_runs = GBENCH_DEFAULT_FAULT_RUNS,
		.fault_size = GBENCH_DEFAULT_FAULT_SIZE,
		.fault_vcpus = GBENCH_DEFAULT_FAULT_VCPUS,
		.fault_timeout = GBENCH_DEFAULT_FAULT_TIMEOUT,
		.abi = -1,
	};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return gb_bad("--out: empty directory name");
			o->out = optarg;
			break;
		case 'a':
			if (!strcmp(optarg, "1.0"))
				o->cases.abi = RMI_ABI_1_0;
			else if (!strcmp(optarg, "2.0"))
				o->cases.abi = RMI_ABI_2_0;
			else
				return snprintf(err, sizeof(err), "--abi: '%s' is not 1.0 or 2.0",
						optarg), gb_bad(err);
			break;
		case 'p':
			if (!kvm_policy_find(optarg))
				return snprintf(err, sizeof(err), "--policy: unknown policy '%s' "
					       "(see 'rme-bench list policies')", optarg), gb_bad(err);
			o->cases.policy = optarg;
			break;
		case 't':
			if (parse_seconds("--min-time", optarg, 60, &o->cases.min_time, err, sizeof(err)))
				return gb_bad(err);
			break;
		case 'r':
			if (cli_parse_u64("--fault-runs", optarg, 10000, &v, err, sizeof(err)))
				return gb_bad(err);
			if (!v)
				return gb_bad("--fault-runs: at least 1 run");
			o->cases.fault_runs = (unsigned)v;
			break;
		case 'b':
			if (cli_parse_size("--fault-size", optarg, &v, err, sizeof(err)))
				return gb_bad(err);
			if (!v || v % (2ULL << 20) || v > (16ULL << 30))
				return snprintf(err, sizeof(err), "--fault-size: '%s' is not a "
					       "multiple of 2M between 2M and 16G", optarg), gb_bad(err);
			o->cases.fault_size = v;
			break;
		case 'v':
			if (cli_parse_u64("--fault-vcpus", optarg, KVM_MAX_VCPUS, &v, err, sizeof(err)))
				return gb_bad(err);
			if (!v)
				return gb_bad("--fault-vcpus: a VM needs at least one vCPU");
			o->cases.fault_vcpus = (unsigned)v;
			break;
		case 'T':
			if (parse_seconds("--fault-timeout", optarg, 86400, &o->cases.fault_timeout, err,
					  sizeof(err)))
				return gb_bad(err);
			break;
		case 'f':
			snprintf(filter_arg, sizeof(filter_arg), "--benchmark_filter=%s", optarg);
			if (add_gb_arg(o, filter_arg))
				return 2;
			break;
		case 'h':
			gbench_usage(stdout);
			return 1;
		default:
			snprintf(err, sizeof(err), "unknown or incomplete option '%s'",
				 argv[optind - 1]);
			gbench_usage(stderr);
			return gb_bad(err);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--")) {
		snprintf(err, sizeof(err), "unexpected argument '%s' (Google Benchmark flags "
			 "go after --)", argv[optind]);
		return gb_bad(err);
	}
	for (int i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "--benchmark_out=", 16) ||
		    !strncmp(argv[i], "--benchmark_out_format=", 23))
			return gb_bad("the output file is DIR/gbench.json in JSON: use --out DIR");
		if (add_gb_arg(o, argv[i]))
			return 2;
	}
	return 0;
}

static const char *default_gbench_dir(struct gbench_options *o)
{
	return cli_default_results_dir(o->out_buf, sizeof(o->out_buf), "gbench", "");
}

/* DIR/topology.xml unless present: returns the name for the context. */
static const char *ensure_topology(const char *dir, char *note, size_t len)
{
	char path[4096], err[256];
	struct sys_topology *topo;
	struct stat st;

	snprintf(path, sizeof(path), "%s/topology.xml", dir);
	if (!stat(path, &st))
		return "topology.xml";
	if (sys_topology_load(&topo, err, sizeof(err))) {
		snprintf(note, len, "unavailable: %s", err);
		return note;
	}
	int ret = sys_topology_export_xml(topo, path, err, sizeof(err));
	sys_topology_free(topo);
	if (ret) {
		snprintf(note, len, "unavailable: %s", err);
		return note;
	}
	return "topology.xml";
}

static int add_context(const struct gbench_options *o, const char *topology)
{
	const struct stage_clock_info *ci = stage_clock_info();
	char freq[32], res[32], cost[32], fsize[32], runs[32], vcpus[32], mtime[32];
	char policies[256] = "";
	const struct kvm_policy *p;

	for (size_t i = 0; (p = kvm_policy_at(i)); i++) {
		if ((o->cases.policy && strcmp(o->cases.policy, p->name)) ||
		    (o->cases.abi >= 0 && p->vm == VM_REALM && (int)p->abi != o->cases.abi))
			continue;
		size_t n = strlen(policies);
		snprintf(policies + n, sizeof(policies) - n, "%s%s", n ? "," : "", p->name);
	}
	snprintf(freq, sizeof(freq), "%llu", (unsigned long long)ci->freq_hz);
	snprintf(res, sizeof(res), "%.3f", ci->resolution_ns);
	snprintf(cost, sizeof(cost), "%.3f", ci->read_cost_ns);
	snprintf(fsize, sizeof(fsize), "%llu", (unsigned long long)o->cases.fault_size);
	snprintf(runs, sizeof(runs), "%u", o->cases.fault_runs);
	snprintf(vcpus, sizeof(vcpus), "%u", o->cases.fault_vcpus);
	snprintf(mtime, sizeof(mtime), "%g", o->cases.min_time);
	const char *abi = o->cases.abi == RMI_ABI_1_0 ? "1.0"
			  : o->cases.abi == RMI_ABI_2_0 ? "2.0" : "1.0,2.0";
	if (gb_add_context("rmeb_version", RMEB_VERSION) ||
	    gb_add_context("rmeb_git_rev", results_git_rev()) ||
	    gb_add_context("rmeb_git_dirty", results_git_dirty() < 0 ? "unknown" :
			   results_git_dirty() ? "yes" : "no") ||
	    gb_add_context("backend", "sim") ||
	    gb_add_context("source", "sim-measured") ||
	    gb_add_context("abi", abi) ||
	    gb_add_context("policy", policies) ||
	    gb_add_context("clock_source", ci->source) ||
	    gb_add_context("clock_freq_hz", freq) ||
	    gb_add_context("clock_resolution_ns", res) ||
	    gb_add_context("clock_read_cost_ns", cost) ||
	    gb_add_context("clock_invariant", ci->invariant ? "true" : "false") ||
	    gb_add_context("topology", topology) ||
	    gb_add_context("fault_size_bytes", fsize) ||
	    gb_add_context("fault_runs", runs) ||
	    gb_add_context("fault_vcpus", vcpus) ||
	    gb_add_context("min_time_s", mtime) ||
	    gb_add_context("note", "times are this host's execution of the RMM and KVM host "
			   "models (no world switch, no GPT/TLB maintenance); see docs/gbench.md"))
		return -1;
	return 0;
}

int cmd_gbench(int argc, char **argv)
{
	struct gbench_options o;
	char out_arg[4200], note[300];
	char *gb_argv[MAX_GB_ARGS + 4];
	int ret = parse_gbench_options(argc, argv, &o), gb_argc = 0;

	if (ret)
		return ret == 1 ? 0 : ret;
	const char *dir = o.out ? o.out : default_gbench_dir(&o);
	struct stat st;
	char existing[4200];
	/* Like `run`: earlier results are never replaced silently. */
	snprintf(existing, sizeof(existing), "%s/gbench.json", dir);
	bool holds = !lstat(existing, &st);
	if (holds || (!stat(dir, &st) && !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "rme-bench gbench: --out: '%s' %s; choose a new directory\n", dir,
			holds ? "already holds gbench.json" : "exists and is not a directory");
		return 2;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "rme-bench gbench: --out: cannot create %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	if (stage_clock_init()) {
		fprintf(stderr, "rme-bench gbench: no usable clock\n");
		return 1;
	}
	if (add_context(&o, ensure_topology(dir, note, sizeof(note))) ||
	    gbench_cases_register(&o.cases)) {
		fprintf(stderr, "rme-bench gbench: cannot register the cases\n");
		return 1;
	}
	snprintf(out_arg, sizeof(out_arg), "--benchmark_out=%s/gbench.json", dir);
	gb_argv[gb_argc++] = "rme-bench gbench";
	gb_argv[gb_argc++] = out_arg;
	gb_argv[gb_argc++] = "--benchmark_out_format=json";
	for (int i = 0; i < o.n_gb_args; i++)
		gb_argv[gb_argc++] = o.gb_args[i];
	gb_argv[gb_argc] = NULL;
	gb_keep_output_on_error(true);
	ret = gb_run(gb_argc, gb_argv);
	if (ret == 1 && gb_runs_failed())
		fprintf(stderr, "rme-bench gbench: %zu case run(s) reported an error; they are "
			"kept in %s/gbench.json with their message\n", gb_runs_failed(), dir);
	if (ret == 0 || gb_runs_failed())
		printf("results: %s/gbench.json\n", dir);
	return ret;
}
