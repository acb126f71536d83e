/*
 * `rme-bench run`: measure stage-2 faults for a set of configurations and
 * write one results directory (meta.json, faults.csv, summary.json).
 *
 * With no options it runs the default suite of the sim backend: realm
 * (cca-v1) and normal VMs, patterns seq, block, fold, unfold, ripas and
 * shared, 256 MiB per vCPU, 1 and 2 vCPUs. Every configuration runs in a
 * fresh VM (and RMM); --repeat N pools N fresh runs into one summary entry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "commands.h"
#include "kvm/policy.h"
#include "harness/mem_need.h"
#include "harness/profiles.h"
#include "harness/run_measure.h"
#include "harness/sim_harness.h"
#include "results/results.h"
#include "clock/stage_clock.h"
#include "results/stats.h"
#include "vmm/vmm.h"

#define MAX_LIST 16

struct run_options {
	bool want_realm, want_normal;
	const struct pattern *patterns[MAX_LIST];
	size_t n_patterns;
	unsigned vcpus[MAX_LIST];
	size_t n_vcpus;
	uint64_t size;
	uint64_t page;                  /* 0: each pattern's default */
	const struct kvm_policy *realm_policy;
	const char *policy_arg;         /* --policy as given, when it named a realm policy */
	const char *profile;
	uint64_t repeat;
	bool repeat_auto;               /* --repeat auto */
	double ci_target_pct;           /* --ci-target (auto) */
	double time_budget_s;           /* --time-budget per configuration (auto) */
	const char *pin_arg;            /* --pin as given (NULL: default plan) */
	uint64_t seed;
	bool stage_timing;
	bool prefault;
	bool perf_stages;               /* --perf-stages */
	int pin[KVM_MAX_VCPUS];
	size_t n_pin;
	const char *out;
	const char *backing;            /* --backing as given (NULL: default) */
	const char *page_backing;       /* the kind of 2M backing --page names, or NULL */
	bool hugetlb;                   /* 2M backing is hugetlbfs (resolved) */
	bool kvm;                       /* --backend kvm */
	struct vmm_config vmm;          /* kvm: payload, backing */
	unsigned phases;                /* --phases (0: not given) */
	uint64_t populate;              /* --populate BYTES */
	bool populate_given, populate_unmeasured;
	char out_buf[128];
};

static const char *const default_patterns[] = { "seq", "block", "fold", "unfold",
						 "ripas", "shared" };
static const unsigned default_vcpus[] = { 1, 2 };

/* Backing a pattern runs on when --page is not given: block mappings
 * (block) and unfolding them (unfold) need 2 MiB backing; fold is about
 * filling level-3 tables with 4 KiB faults, like everything else. */
static uint64_t default_page_for(const struct pattern *p)
{
	if (p->needs_2m || !strcmp(p->name, "unfold"))
		return PATTERN_SZ_2M;
	return PATTERN_SZ_4K;
}

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: rme-bench run [OPTIONS]\n"
		"  --backend sim|kvm     sim (default): the embedded RMM and host model;\n"
		"                        kvm: real arm64 VMs under KVM (docs/real-backend.md)\n"
		"  --vm realm|normal|both              (default both)\n"
		"  --pattern LIST        comma list, see 'rme-bench list patterns'\n"
		"                        (default seq,block,fold,unfold,ripas,shared)\n"
		"  -b, --size BYTES      memory per vCPU, K/M/G suffixes (default 256M)\n"
		"  -s, --page 4K|2M|hugetlb  host backing page (default: 2M for block and\n"
		"                        unfold, 4K otherwise); anonymous / anonymous_thp /\n"
		"                        anonymous_hugetlb too; hugetlb = 2M --backing hugetlb\n"
		"  --backing thp|hugetlb kind of 2M backing: it decides whether a realm gets\n"
		"                        blocks (cca-v1: hugetlb only, cca-rmm2: never); sim\n"
		"                        default hugetlb, kvm default thp (hugetlb needs\n"
		"                        reserved pages)\n"
		"  -v, --vcpus LIST      vCPU counts, comma list (default 1,2)\n"
		"  --abi 1.0|2.0         RMI ABI of the realm policy (default 1.0)\n"
		"  --policy NAME         realm policy (cca-v1, cca-v14, cca-v15; see list policies)\n"
		"  --profile NAME        cost profile (see list profiles; default none)\n"
		"  --repeat N|auto       fresh runs pooled per configuration (default 1); auto:\n"
		"                        repeat until the 95 %% CI of the median of the repeat\n"
		"                        medians is within --ci-target, or --time-budget ends\n"
		"  --ci-target PCT       auto: CI half-width in %% of the median (default 1)\n"
		"  --time-budget SEC     auto: seconds per configuration (default 60)\n"
		"  --seed N              seed of randomised patterns (default 1)\n"
		"  --pin CPULIST|off     sim: main thread on the first CPU, vCPU i on the\n"
		"                        (i+2)-th (e.g. 0-3); default: one core per thread\n"
		"                        when there are enough cores; off: no pinning\n"
		"  --stage-timing on|off off: time whole faults only (overhead check)\n"
		"  --perf-stages         sim: also read each vCPU's perf counter group at\n"
		"                        every stage boundary and report counters per stage\n"
		"                        (each read is timed into the stage it closes)\n"
		"  --prefault on|off     sim: on (default): guest RAM is faulted in before the run,\n"
		"                        as a VMM that preallocates; off: the first guest\n"
		"                        touch of a page also pays the host's own page fault\n"
		"  --out DIR             results directory (default results/run-<time>-<backend>)\n"
		"  --payload FILE        kvm: the aarch64 payload image (default: rmeb-guest.img\n"
		"                        next to rme-bench or in the build/install tree)\n"
		"  --phases LIST         sim: lifecycle phases recorded per run, comma list of\n"
		"                        populate, fault, teardown (default: fault, with no\n"
		"                        phase records); see docs/sim-backend.md\n"
		"  --populate BYTES      initial contents populated before the run (needs the\n"
		"                        populate phase; default 0: RIPAS only), measured\n"
		"  --populate-unmeasured populate without RMI_MEASURE_CONTENT\n");
}

static int bad(const char *msg)
{
	fprintf(stderr, "rme-bench run: %s\n", msg);
	return 2;
}

static int parse_patterns(struct run_options *o, char *text, char *err, size_t len)
{
	char *items[MAX_LIST];
	if (cli_split_list("--pattern", text, items, MAX_LIST, &o->n_patterns, err, len))
		return -1;
	for (size_t i = 0; i < o->n_patterns; i++) {
		o->patterns[i] = pattern_find(items[i]);
		if (!o->patterns[i]) {
			snprintf(err, len, "--pattern: unknown pattern '%s' "
					   "(see 'rme-bench list patterns')", items[i]);
			return -1;
		}
	}
	return 0;
}

static int parse_vcpus(struct run_options *o, char *text, char *err, size_t len)
{
	char *items[MAX_LIST];
	if (cli_split_list("--vcpus", text, items, MAX_LIST, &o->n_vcpus, err, len))
		return -1;
	for (size_t i = 0; i < o->n_vcpus; i++) {
		uint64_t v;
		if (cli_parse_u64("--vcpus", items[i], KVM_MAX_VCPUS, &v, err, len))
			return -1;
		if (!v) {
			snprintf(err, len, "--vcpus: a VM needs at least one vCPU");
			return -1;
		}
		o->vcpus[i] = (unsigned)v;
	}
	return 0;
}

static int parse_page(struct run_options *o, const char *text, char *err, size_t len)
{
	if (!strcmp(text, "hugetlb") || !strcmp(text, "anonymous_hugetlb")) {
		o->page = PATTERN_SZ_2M;
		o->page_backing = "hugetlb";
		return 0;
	}
	if (!strcmp(text, "anonymous_thp"))
		o->page_backing = "thp";
	if (!strcmp(text, "4K") || !strcmp(text, "4k") || !strcmp(text, "anonymous"))
		o->page = PATTERN_SZ_4K;
	else if (!strcmp(text, "2M") || !strcmp(text, "2m") || !strcmp(text, "anonymous_thp"))
		o->page = PATTERN_SZ_2M;
	else {
		snprintf(err, len, "--page: '%s' is not 4K or 2M", text);
		return -1;
	}
	return 0;
}

static int parse_pin(struct run_options *o, char *text, char *err, size_t len)
{
	char *items[KVM_MAX_VCPUS];
	size_t n_items;

	o->n_pin = 0;
	if (cli_split_list("--pin", text, items, KVM_MAX_VCPUS, &n_items, err, len))
		return -1;
	for (size_t k = 0; k < n_items; k++) {
		char *tok = items[k];
		uint64_t lo, hi;
		char *dash = strchr(tok, '-');
		if (dash)
			*dash = 0;
		if (cli_parse_u64("--pin", tok, 4095, &lo, err, len) ||
		    cli_parse_u64("--pin", dash ? dash + 1 : tok, 4095, &hi, err, len))
			return -1;
		if (hi < lo) {
			snprintf(err, len, "--pin: range %llu-%llu is reversed",
				 (unsigned long long)lo, (unsigned long long)hi);
			return -1;
		}
		for (uint64_t c = lo; c <= hi; c++) {
			if (o->n_pin == KVM_MAX_VCPUS) {
				snprintf(err, len, "--pin: more than %d CPUs", KVM_MAX_VCPUS);
				return -1;
			}
			o->pin[o->n_pin++] = (int)c;
		}
	}
	if (!o->n_pin) {
		snprintf(err, len, "--pin: empty CPU list");
		return -1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	for (size_t i = 0; i < o->n_pin; i++)
		if (o->pin[i] >= ncpu) {
			snprintf(err, len, "--pin: CPU %d does not exist (this host has %ld)",
				 o->pin[i], ncpu);
			return -1;
		}
	return 0;
}

/* --phases: known names, each once. */
static int parse_phases(struct run_options *o, char *text, char *err, size_t len)
{
	char *items[MAX_LIST];
	size_t n;

	if (cli_split_list("--phases", text, items, MAX_LIST, &n, err, len))
		return -1;
	o->phases = 0;
	for (size_t i = 0; i < n; i++) {
		int p = 0;
		while (p < RUN_PHASE_COUNT && strcmp(items[i], run_phase_name((enum run_phase_id)p)))
			p++;
		if (p == RUN_PHASE_COUNT) {
			snprintf(err, len, "--phases: unknown phase '%s' (populate, fault, "
					   "teardown)", items[i]);
			return -1;
		}
		o->phases |= RUN_PHASE_BIT(p); /* a repeated phase: refused by the list parser */
	}
	return 0;
}

/* Lifecycle options against the backend, the phases and every memslot. */
static int check_phases(const struct run_options *o, char *err, size_t len)
{
	char a[16], b[16];

	if (o->kvm && o->phases) {
		snprintf(err, len, "--phases: the kvm backend does not implement lifecycle "
			 "phase records (sim backend only)");
		return -1;
	}
	if ((o->populate_given || o->populate_unmeasured) &&
	    !(o->phases & RUN_PHASE_BIT(RUN_PHASE_POPULATE))) {
		snprintf(err, len, "--populate%s: needs --phases with populate",
			 o->populate_given ? "" : "-unmeasured");
		return -1;
	}
	if (o->populate % 4096) {
		snprintf(err, len, "--populate: %llu bytes is not a multiple of 4 KiB",
			 (unsigned long long)o->populate);
		return -1;
	}
	for (size_t i = 0; i < o->n_vcpus; i++)
		if (o->populate > o->size * o->vcpus[i]) {
			snprintf(err, len, "--populate %s is larger than the %s memslot of %u "
				 "vCPU(s) x --size", cli_format_size(o->populate, a, sizeof(a)),
				 cli_format_size(o->size * o->vcpus[i], b, sizeof(b)), o->vcpus[i]);
			return -1;
		}
	return 0;
}

/* --out must be a new directory or an empty one: refusing here (exit 2)
 * means nothing runs for minutes only to fail at the end. */
static int check_out(const char *out)
{
	struct stat st;
	char msg[512];

	if (out && !*out)
		return bad("--out: the directory name is empty");
	if (!out || stat(out, &st))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof(msg), "--out: '%s' exists and is not a directory", out);
		return bad(msg);
	}
	const char *holds = results_dir_holds(out);
	if (holds) {
		snprintf(msg, sizeof(msg), "--out: '%s' already holds %s; choose a new "
			 "directory or move it aside", out, holds);
		return bad(msg);
	}
	return 0;
}

/* A positive decimal number up to max ("0.5", "2"). */
static int parse_positive(const char *opt, const char *text, double max, double *out,
			  char *err, size_t len)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end || !(v > 0) || v > max) {
		snprintf(err, len, "%s: '%s' is not a number in (0, %g]", opt, text, max);
		return -1;
	}
	*out = v;
	return 0;
}

enum { OPT_BACKEND = 256, OPT_VM, OPT_PATTERN, OPT_ABI, OPT_POLICY, OPT_PROFILE,
       OPT_REPEAT, OPT_CI_TARGET, OPT_TIME_BUDGET, OPT_SEED, OPT_PIN, OPT_OUT, OPT_STAGE_TIMING, OPT_PAYLOAD,
       OPT_PREFAULT, OPT_PERF_STAGES, OPT_BACKING, OPT_PHASES, OPT_POPULATE,
       OPT_POPULATE_UNMEASURED };

static const struct option long_opts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "pattern", required_argument, NULL, OPT_PATTERN },
	{ "size", required_argument, NULL, 'b' },
	{ "page", required_argument, NULL, 's' },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "vcpus", required_argument, NULL, 'v' },
	{ "abi", required_argument, NULL, OPT_ABI },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "ci-target", required_argument, NULL, OPT_CI_TARGET },
	{ "time-budget", required_argument, NULL, OPT_TIME_BUDGET },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "stage-timing", required_argument, NULL, OPT_STAGE_TIMING },
	{ "prefault", required_argument, NULL, OPT_PREFAULT },
	{ "perf-stages", no_argument, NULL, OPT_PERF_STAGES },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "phases", required_argument, NULL, OPT_PHASES },
	{ "populate", required_argument, NULL, OPT_POPULATE },
	{ "populate-unmeasured", no_argument, NULL, OPT_POPULATE_UNMEASURED },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* The list parsers split their text in place: they get a copy, so that
 * argv, which meta.json records as the command line, stays whole. */
typedef int (*list_parser)(struct run_options *o, char *text, char *err, size_t len);
static int parse_copy(list_parser parse, struct run_options *o, const char *opt,
		      const char *text, char *err, size_t len)
{
	char copy[1024];

	if ((size_t)snprintf(copy, sizeof(copy), "%s", text) >= sizeof(copy)) {
		snprintf(err, len, "%s: list longer than %zu characters", opt, sizeof(copy) - 1);
		return -1;
	}
	return parse(o, copy, err, len);
}

/* Options -> run_options, with every cross-option check. 0, 1 (help), 2. */
static int parse_options(int argc, char **argv, struct run_options *o)
{
	const char *abi = NULL, *policy = NULL, *vm = "both";
	char err[256];
	int c;

	*o = (struct run_options){ .size = 256ULL << 20, .repeat = 1, .seed = 1,
				   .stage_timing = true, .prefault = true, .profile = "none",
				   .ci_target_pct = 1, .time_budget_s = 60 };
	bool adaptive_opts = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:s:v:h", long_opts, NULL)) != -1) {
		int e = 0;
		switch (c) {
		case OPT_BACKEND:
			o->kvm = !strcmp(optarg, "kvm");
			if (!o->kvm && strcmp(optarg, "sim"))
				return bad("--backend: expected sim or kvm");
			break;
		case OPT_VM: vm = optarg; break;
		case OPT_PATTERN:
			e = parse_copy(parse_patterns, o, "--pattern", optarg, err, sizeof(err));
			break;
		case 'b': e = cli_parse_size("--size", optarg, &o->size, err, sizeof(err)); break;
		case 's': e = parse_page(o, optarg, err, sizeof(err)); break;
		case 'v': e = parse_copy(parse_vcpus, o, "--vcpus", optarg, err, sizeof(err)); break;
		case OPT_ABI: abi = optarg; break;
		case OPT_POLICY: policy = optarg; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_REPEAT:
			if (!strcmp(optarg, "auto")) {
				o->repeat_auto = true;
				o->repeat = RUN_MAX_REPEATS;
				break;
			}
			e = cli_parse_u64("--repeat", optarg, 1000, &o->repeat, err, sizeof(err));
			if (!e && !o->repeat)
				return bad("--repeat: at least 1");
			break;
		case OPT_SEED: e = cli_parse_u64("--seed", optarg, UINT64_MAX, &o->seed, err,
						 sizeof(err)); break;
		case OPT_PIN:
			o->pin_arg = optarg;
			if (strcmp(optarg, "off")) {
				char copy[1024];
				snprintf(copy, sizeof(copy), "%s", optarg);
				e = parse_pin(o, copy, err, sizeof(err));
			}
			break;
		case OPT_CI_TARGET:
			adaptive_opts = true;
			e = parse_positive("--ci-target", optarg, 100, &o->ci_target_pct, err,
					   sizeof(err));
			break;
		case OPT_TIME_BUDGET:
			adaptive_opts = true;
			e = parse_positive("--time-budget", optarg, 86400, &o->time_budget_s, err,
					   sizeof(err));
			break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_PAYLOAD: o->vmm.payload = optarg; break;
		case OPT_STAGE_TIMING:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return bad("--stage-timing: expected on or off");
			o->stage_timing = !strcmp(optarg, "on");
			break;
		case OPT_PREFAULT:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return bad("--prefault: expected on or off");
			o->prefault = !strcmp(optarg, "on");
			break;
		case OPT_PERF_STAGES: o->perf_stages = true; break;
		case OPT_BACKING:
			if (strcmp(optarg, "thp") && strcmp(optarg, "hugetlb"))
				return bad("--backing: expected thp or hugetlb");
			o->backing = optarg;
			break;
		case OPT_PHASES:
			e = parse_copy(parse_phases, o, "--phases", optarg, err, sizeof(err));
			break;
		case OPT_POPULATE:
			o->populate_given = true;
			e = cli_parse_size("--populate", optarg, &o->populate, err, sizeof(err));
			break;
		case OPT_POPULATE_UNMEASURED: o->populate_unmeasured = true; break;
		case 'h': run_usage(stdout); return 1;
		default:
			snprintf(err, sizeof(err), "unknown or incomplete option '%s'",
				 argv[optind - 1]);
			e = -1;
		}
		if (e)
			return bad(err);
	}
	if (optind < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'", argv[optind]);
		return bad(err);
	}

	if (!strcmp(vm, "both"))
		o->want_realm = o->want_normal = true;
	else if (!strcmp(vm, "realm"))
		o->want_realm = true;
	else if (!strcmp(vm, "normal"))
		o->want_normal = true;
	else
		return bad("--vm: expected realm, normal or both");

	if (!o->kvm && o->vmm.payload)
		return bad("--payload: only with --backend kvm");
	if (o->page_backing && o->backing && strcmp(o->page_backing, o->backing)) {
		snprintf(err, sizeof(err), "--page names %s backing but --backing says %s: give "
			 "one of them", o->page_backing, o->backing);
		return bad(err);
	}
	if (o->page_backing)
		o->backing = o->page_backing;
	if (!strcmp(vm, "normal") && (abi || (policy && strcmp(policy, "normal")))) {
		snprintf(err, sizeof(err), "--vm normal runs no realm: --%s %s does not apply",
			 abi ? "abi" : "policy", abi ? abi : policy);
		return bad(err);
	}
	if (o->backing && o->page == PATTERN_SZ_4K)
		return bad("--backing: thp and hugetlb are kinds of 2M backing; --page 4K has none");
	/* The sim needs no reserved pages for hugetlb (its host memory is THP
	 * either way; the backing only decides the mapping size), and hugetlb
	 * is where every realm policy that maps blocks gets them. A real host
	 * needs nr_hugepages reserved for hugetlb, so kvm defaults to THP. */
	o->hugetlb = o->backing ? !strcmp(o->backing, "hugetlb") : !o->kvm;
	if (o->kvm && o->backing)
		o->vmm.backing = o->hugetlb ? VMM_BACKING_HUGETLB : VMM_BACKING_THP;
	/* A kvm realm runs the host kernel's CCA series (v14 or v15, both RMM
	 * 2.0): its results are labelled with that series' sim policy, chosen
	 * once the kernel has answered (kvm_realm_series). */
	if (o->kvm && !abi && !policy)
		abi = "2.0";
	if (o->kvm && abi && strcmp(abi, "2.0"))
		return bad("--abi: kvm realms run the host kernel's CCA series (RMM 2.0): use "
			   "--abi 2.0, or omit it");
	if (o->kvm && policy && kvm_policy_find(policy) &&
	    kvm_policy_find(policy)->vm == VM_REALM && !kvm_policy_find(policy)->series)
		return bad("--policy: kvm realms run the host kernel's CCA series: use --policy "
			   "cca-v14 or cca-v15 (the kernel's), or omit it");
	if (abi && strcmp(abi, "1.0") && strcmp(abi, "2.0"))
		return bad("--abi: expected 1.0 or 2.0");
	if (policy) {
		o->realm_policy = kvm_policy_find(policy);
		if (!o->realm_policy) {
			snprintf(err, sizeof(err), "--policy: unknown policy '%s' "
						   "(see 'rme-bench list policies')", policy);
			return bad(err);
		}
		if (o->realm_policy->vm != VM_REALM) {
			/* `--policy normal` names the baseline: only normal VMs. */
			if (!strcmp(vm, "realm"))
				return bad("--policy normal is the normal-VM baseline; "
					   "it cannot run --vm realm");
			o->want_realm = false;
			o->want_normal = true;
			o->realm_policy = NULL;
		}
		o->policy_arg = o->realm_policy ? policy : NULL;
	}
	if (o->want_realm) {
		if (!o->realm_policy)
			o->realm_policy = kvm_policy_find(abi && !strcmp(abi, "2.0") ? "cca-rmm2"
										  : "cca-v1");
		const char *pabi = o->realm_policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0";
		if (abi && strcmp(abi, pabi)) {
			snprintf(err, sizeof(err), "--policy %s speaks RMI %s; it cannot run "
				 "with --abi %s", o->realm_policy->name, pabi, abi);
			return bad(err);
		}
	}
	if (!cost_profile_find(o->profile)) {
		snprintf(err, sizeof(err), "--profile: unknown profile '%s' "
					   "(see 'rme-bench list profiles')", o->profile);
		return bad(err);
	}
	if (o->kvm && strcmp(o->profile, "none"))
		return bad("--profile: modeled costs are for --backend sim (a real VM pays the "
			   "real ones)");
	const struct cost_profile *prof = cost_profile_find(o->profile);
	if (o->want_realm && prof->per_call) {
		const char *pabi = o->realm_policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0";
		if (!cost_profile_covers_abi(prof, pabi)) {
			snprintf(err, sizeof(err), "--profile %s has instruction counts for no RMI %s "
				 "command (policy %s speaks %s): use --abi %s, or another profile "
				 "(see 'rme-bench list profiles')", prof->name, pabi,
				 o->realm_policy->name, pabi, !strcmp(pabi, "1.0") ? "2.0" : "1.0");
			return bad(err);
		}
	}

	if (!o->n_patterns)
		for (size_t i = 0; i < sizeof(default_patterns) / sizeof(*default_patterns); i++)
			o->patterns[o->n_patterns++] = pattern_find(default_patterns[i]);
	if (!o->n_vcpus)
		for (size_t i = 0; i < sizeof(default_vcpus) / sizeof(*default_vcpus); i++)
			o->vcpus[o->n_vcpus++] = default_vcpus[i];
	if (adaptive_opts && !o->repeat_auto)
		return bad("--ci-target and --time-budget need --repeat auto");
	/* Per-stage counters are read at the stage timer's boundaries. */
	if (o->perf_stages && !o->stage_timing)
		return bad("--perf-stages needs stage boundaries: it cannot run with "
			   "--stage-timing off");
	if (o->perf_stages && o->kvm)
		return bad("--perf-stages: sim backend only (for a real VM see the perf "
			   "stat / perf record recipes in docs/sim-backend.md)");
	/* sim: the main thread takes the first listed CPU, vCPUs the rest. */
	for (size_t i = 0; i < o->n_vcpus; i++)
		if (o->n_pin && o->n_pin < o->vcpus[i] + !o->kvm) {
			snprintf(err, sizeof(err), "--pin lists %zu CPUs for %u vCPUs%s", o->n_pin,
				 o->vcpus[i], o->kvm ? "" : " and the main thread");
			return bad(err);
		}
	if (check_phases(o, err, sizeof(err)))
		return bad(err);
	/* Every pattern must accept the size and page before anything runs. */
	for (size_t i = 0; i < o->n_patterns; i++) {
		struct pattern_iter it;
		struct pattern_params pp = {
			.size = o->size, .page = o->page ? o->page : default_page_for(o->patterns[i]),
			.vcpus = 1, .seed = o->seed, .realm = true,
		};
		if (pattern_iter_start(&it, o->patterns[i], &pp, err, sizeof(err))) {
			char msg[320], sz[16], pg[16];
			snprintf(msg, sizeof(msg), "--size %s / --page %s / --pattern %s: %s",
				 cli_format_size(o->size, sz, sizeof(sz)),
				 cli_format_size(pp.page, pg, sizeof(pg)), o->patterns[i]->name, err);
			return bad(msg);
		}
	}
	return check_out(o->out);
}

/* ---- running ---- */

/* Records kept for the pooled distribution: beyond this (about 230 MB),
 * later repeats add their medians and counts but not their records, and
 * the run's "pooled_repeats" extra says how many repeats the
 * distribution holds. */
#define POOL_MAX_RECORDS (2u << 20)

struct pooled {
	struct fault_record *faults;
	size_t n_faults;                /* records (a sample when hist is set) */
	uint64_t faults_total;          /* every fault of every repeat */
	struct results_fault_hist *hist; /* sampled runs: exact, merged */
	struct run_result last;    /* counts summed into here */
	uint64_t dropped, total_ns;
	unsigned pooled_repeats;
	struct run_perf_sum perf;
	struct run_perf_stage_sum perf_stages;
	struct run_repeats reps;
};

/* Main-thread state of one `run` command. */
static struct run_pinning pinning;
static struct run_repeat_log repeat_log;
static const struct cost_profile *run_profile;
static uint32_t run_weights[RMI_WEIGHT_FIDS];
static double perf_read_cost_ns;   /* --perf-stages: one group read, median */

/* Sampled runs: their exact statistics add up over repeats. */
static int pool_add_hist(struct pooled *p, const struct run_result *r)
{
	p->faults_total += r->hist ? r->hist->n : r->n_faults;
	if (!r->hist)
		return 0;
	if (!p->hist) {
		if (!(p->hist = malloc(sizeof(*p->hist))))
			return -1;
		*p->hist = *r->hist;
		return 0;
	}
	p->hist->n += r->hist->n;
	p->hist->rmi_calls += r->hist->rmi_calls;
	for (int k = 0; k < FAULT_KIND_COUNT; k++)
		p->hist->kinds[k] += r->hist->kinds[k];
	histogram_merge(&p->hist->fault_ns, &r->hist->fault_ns);
	for (int s = 0; s < STAGE_COUNT; s++)
		histogram_merge(&p->hist->stages[s], &r->hist->stages[s]);
	return 0;
}

static int pool_add(struct pooled *p, struct run_result *r, bool first)
{
	if (pool_add_hist(p, r))
		return -1;
	if (p->reps.n < RUN_MAX_REPEATS) {
		p->reps.p50[p->reps.n] = run_median_ns(r);
		p->reps.faults[p->reps.n] = r->n_faults;
		p->reps.total_ns[p->reps.n] = r->total_ns;
		p->reps.n++;
	}
	run_perf_add(&p->perf, r, first);
	run_perf_stage_add(&p->perf_stages, r, first);
	if (r->n_faults && p->n_faults + r->n_faults > POOL_MAX_RECORDS) {
		/* Over the cap: this repeat's records stay out (see above). */
	} else if (r->n_faults) {
		struct fault_record *f = realloc(p->faults, (p->n_faults + r->n_faults) *
							      sizeof(*f));
		if (!f)
			return -1;
		memcpy(f + p->n_faults, r->faults, r->n_faults * sizeof(*f));
		p->faults = f;
		p->n_faults += r->n_faults;
		p->pooled_repeats++;
	} else {
		p->pooled_repeats++;
	}
	p->dropped += r->dropped_faults;
	p->total_ns += r->total_ns;
	if (first) {
		p->last = *r;
		p->last.faults = NULL;
		p->last.hist = NULL;
		return 0;
	}
	run_counts_merge(p->last.counts, &p->last.n_counts, RUN_MAX_COUNTS, r->counts,
			 r->n_counts);
	for (int ph = 0; ph < RUN_PHASE_COUNT; ph++)
		run_phase_merge(&p->last.phases[ph], &r->phases[ph]);
#define SUM(f) p->last.f += r->f
	SUM(rmi_calls); SUM(guest_accesses); SUM(guest_first_touches); SUM(guest_exits);
	SUM(guest_seas); SUM(guest_errors); SUM(missed_faults); SUM(unexpected_exits);
	SUM(races); SUM(mmio_exits); SUM(irq_exits); SUM(leaked_granules); SUM(host_page_ins);
#undef SUM
	return 0;
}

static void print_header(void)
{
	printf("%-6s %-8s %-9s %-4s %-3s %6s %9s %10s %10s %10s %9s %10s\n", "vm", "pattern",
	       "policy", "abi", "pg", "vcpus", "faults", "p50_ns", "p99_ns", "mean_ns",
	       "rmi/flt", "faults/s");
}

static void print_row(const struct run_config *cfg, const char *abi, const struct pooled *p)
{
	uint64_t *samples = malloc((p->n_faults ? p->n_faults : 1) * sizeof(*samples));
	struct sample_stats st = { 0 };
	char pg[16];

	if (samples) {
		for (size_t i = 0; i < p->n_faults; i++)
			samples[i] = p->faults[i].total_ns;
		if (p->n_faults)
			stats_summarize(samples, p->n_faults, &st);
		free(samples);
	}
	double per_fault = p->faults_total ? (double)p->last.rmi_calls /
					     (double)p->faults_total : 0;
	double rate = p->total_ns ? (double)p->faults_total * 1e9 / (double)p->total_ns : 0;
	printf("%-6s %-8s %-9s %-4s %-3s %6u %9zu %10llu %10llu %10.0f %9.2f %10.0f\n",
	       cfg->vm == VM_REALM ? "realm" : "normal", cfg->pattern->name, cfg->policy->name,
	       abi, cli_format_size(cfg->page, pg, sizeof(pg)), cfg->vcpus, (size_t)p->faults_total,
	       (unsigned long long)st.p50, (unsigned long long)st.p99, st.mean, per_fault, rate);
	fflush(stdout);
}

/* Extras of one run: about 30 fixed ones, plus with --perf-stages 5 for
 * the run and up to 3 + 2 x counters per stage that occurred. */
#define RUN_MAX_EXTRA (64 + 8 + STAGE_COUNT * (3 + 2 * SYS_PERF_COUNT))

static int record_run(struct results_writer *w, const struct run_config *cfg,
		      const char *abi, const struct pooled *p, uint64_t repeat, bool o_kvm)
{
	const struct run_result *r = &p->last;
	char pg[16], err[256];
	struct results_extra extra[RUN_MAX_EXTRA] = {
		{ "repeat", (double)repeat },
		{ "stage_timing", cfg->stage_timing ? 1 : 0 },
		/* The kvm backend never prefaults guest RAM: not applicable (null). */
		{ "prefault", o_kvm ? NAN : cfg->fresh_backing ? 0 : 1 },
		{ "hugetlb", cfg->page == PATTERN_SZ_2M && cfg->hugetlb ? 1 : 0 },
		{ "expected_faults", (double)r->guest_first_touches },
		{ "missed_faults", (double)r->missed_faults },
		{ "unexpected_exits", (double)r->unexpected_exits },
		{ "guest_accesses", (double)r->guest_accesses },
		{ "guest_seas", (double)r->guest_seas },
		{ "races", (double)r->races },
		/* Thread interleaving: what makes multi-vCPU counts of one seed
		 * differ (docs/sim-backend.md, "Counts at more than one vCPU"). */
		{ "rtt_create_lost", (double)r->rtt_create_lost },
		{ "rtt_recreated", (double)r->rtt_recreated },
		{ "spare_rtt_taken", (double)r->spare_taken },
		{ "spare_rtt_kept", (double)r->spare_kept },
		{ "spare_rtt_full", (double)r->spare_full },
		{ "fold_scan_folded", (double)r->scan_folded },
		{ "fold_scan_refused", (double)r->scan_refused },
		{ "host_page_ins", (double)r->host_page_ins },
		/* More vCPU threads than CPUs: they time-slice, so counts stay
		 * exact but a fault's time includes waiting to be scheduled. */
		{ "oversubscribed", !o_kvm && cfg->vcpus > run_cpus_available() ? 1 : 0 },
		{ "irq_exits", (double)r->irq_exits },
		{ "mmio_exits", (double)r->mmio_exits },
		{ "leaked_granules", (double)r->leaked_granules },
		{ "rmi_calls_per_fault", p->faults_total ? (double)r->rmi_calls /
							   (double)p->faults_total : 0 },
		{ "pooled_repeats", (double)p->pooled_repeats },
		{ "pin_failures", (double)r->pin_failures },
	};
	size_t n_extra = 0;
	while (n_extra < RUN_MAX_EXTRA && extra[n_extra].name)
		n_extra++;
	n_extra += run_repeat_extras(&p->reps, extra + n_extra, RUN_MAX_EXTRA - n_extra);
	n_extra += run_perf_extras(&p->perf, p->n_faults, extra + n_extra,
				   RUN_MAX_EXTRA - n_extra);
	if (cfg->vm == VM_REALM && !o_kvm)
		n_extra += cost_profile_extras(run_profile, abi, p->faults, p->n_faults,
					       p->last.counts, p->last.n_counts,
					       extra + n_extra, RUN_MAX_EXTRA - n_extra);
	if (cfg->perf_stages)
		n_extra += run_perf_stage_extras(&p->perf_stages, p->n_faults,
						 perf_read_cost_ns, extra + n_extra,
						 RUN_MAX_EXTRA - n_extra);
	struct results_phase phases[RUN_PHASE_COUNT];
	size_t n_phases = 0;
	for (int ph = 0; ph < RUN_PHASE_COUNT; ph++) {
		const struct run_phase *rp = &r->phases[ph];
		if (rp->present)
			phases[n_phases++] = (struct results_phase){
				.phase = run_phase_name((enum run_phase_id)ph), .bytes = rp->bytes,
				.total_ns = rp->total_ns, .rmi_calls = rp->rmi_calls,
				.measured = rp->measured, .counts = rp->counts,
				.n_counts = rp->n_counts, .stages = rp->stages,
				.n_stages = rp->n_stages,
			};
	}
	struct results_run run = {
		.hist = p->hist,
		.phases = phases,
		.n_phases = n_phases,
		.vm = cfg->vm == VM_REALM ? "realm" : "normal",
		.pattern = cfg->pattern->name,
		.policy = cfg->policy->name,
		.abi = abi,
		.page = cli_format_size(cfg->page, pg, sizeof(pg)),
		.size = cfg->size,
		.vcpus = cfg->vcpus,
		.faults = p->faults,
		.n_faults = p->n_faults,
		.dropped_faults = p->dropped,
		.counts = r->counts,
		.n_counts = r->n_counts,
		.total_ns = p->total_ns,
		.source = o_kvm ? RESULTS_SOURCE_REAL_VM : RESULTS_SOURCE_SIM_MEASURED,
		.extra = extra,
		.n_extra = n_extra,
	};
	int id = results_add_run(w, &run, err, sizeof(err));
	if (id < 0 || run_repeat_log_add(&repeat_log, id, cfg, abi, &p->reps)) {
		fprintf(stderr, "rme-bench run: %s\n", id < 0 ? err : "out of memory");
		return -1;
	}
	return 0;
}

/* --repeat auto: stop when the CI of the median of the repeat medians is
 * within the target, or budget_s seconds have passed since t0; say which. */
static bool adaptive_done(const struct run_options *o, struct run_repeats *reps, uint64_t t0,
			  double budget_s)
{
	uint64_t m, lo, hi;
	double pct = run_repeat_ci_pct(reps, &m, &lo, &hi);

	if (pct >= 0 && pct <= o->ci_target_pct) {
		reps->stop = STOP_CI_REACHED;
		return true;
	}
	if ((double)stage_clock_ticks_to_ns(stage_clock_now() - t0) >= budget_s * 1e9) {
		reps->stop = STOP_BUDGET;
		return true;
	}
	return false;
}

/* Set when the machine refused a VM (run_result.refused): exit 2. */
static bool run_refused;

/* One repeat of one configuration into its pool. 0 or -1 (reported). */
static int run_repeat(const struct run_options *o, struct run_config *cfg, struct pooled *pool,
		      uint64_t rep)
{
	struct run_result r;
	int ret = 0;

	cfg->seed = o->seed + rep;
	if (o->kvm ? vmm_run(cfg, &o->vmm, &r) : sim_run(cfg, &r)) {
		fprintf(stderr, "rme-bench run: %s %s %s: %s\n",
			cfg->vm == VM_REALM ? "realm" : "normal", cfg->pattern->name,
			cfg->policy->name, r.error);
		run_refused |= r.refused;
		return -1;
	}
	if (r.error[0]) {
		fprintf(stderr, "rme-bench run: %s\n", r.error);
		ret = -1;
	}
	if (pool_add(pool, &r, rep == 0))
		ret = -1;
	run_result_free(&r);
	return ret;
}

static int report_config(struct results_writer *w, const struct run_options *o,
			 const struct run_config *cfg, struct pooled *pool)
{
	const char *abi = cfg->vm == VM_REALM ? (cfg->policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0")
					      : "-";

	print_row(cfg, abi, pool);
	if (pool->last.missed_faults || pool->last.unexpected_exits || pool->dropped)
		fprintf(stderr, "rme-bench run: warning: %s/%s: %llu expected faults did "
			"not happen, %llu exits were not expected, %llu records dropped\n",
			cfg->vm == VM_REALM ? "realm" : "normal", cfg->pattern->name,
			(unsigned long long)pool->last.missed_faults,
			(unsigned long long)pool->last.unexpected_exits,
			(unsigned long long)pool->dropped);
	if (pool->last.leaked_granules)
		fprintf(stderr, "rme-bench run: warning: %llu granules could not be "
			"undelegated at teardown\n",
			(unsigned long long)pool->last.leaked_granules);
	return record_run(w, cfg, abi, pool, o->repeat_auto ? pool->reps.n : o->repeat, o->kvm);
}

/*
 * One point of the sweep (pattern, vCPUs): its configurations (realm,
 * normal, or both) run interleaved, repeat by repeat (ABAB...), so the
 * drift of a shared host over the point's runs (frequency, caches, other
 * tenants) reaches both columns alike instead of deciding their ratio.
 * --repeat auto goes on until every configuration's CI target is met or
 * its budget is spent.
 */
static int run_point(struct results_writer *w, const struct run_options *o,
		     struct run_config *cfgs, size_t n)
{
	struct pooled pools[2] = { 0 };
	bool done[2] = { false, false };
	int ret = 0, vcpu_pu[KVM_MAX_VCPUS];

	for (size_t i = 0; i < n; i++) {
		if (!o->kvm) {
			cfgs[i].pin_cpus = run_pin_apply(&pinning, cfgs[i].vcpus, vcpu_pu);
			cfgs[i].perf_counters = true;
			cfgs[i].perf_stages = o->perf_stages;
		}
		pools[i].reps.stop = o->repeat_auto ? STOP_MAX_REPEATS : STOP_COUNT;
	}
	uint64_t t0 = stage_clock_now();
	for (uint64_t rep = 0; rep < o->repeat && !ret; rep++) {
		size_t running = 0;
		for (size_t i = 0; i < n && !ret; i++) {
			if (o->repeat_auto && rep && !done[i])
				/* Interleaved, each configuration gets its share of
				 * the point's time: --time-budget apiece. */
				done[i] = adaptive_done(o, &pools[i].reps, t0,
							o->time_budget_s * (double)n);
			if (done[i])
				continue;
			running++;
			ret = run_repeat(o, &cfgs[i], &pools[i], rep);
		}
		if (!running)
			break;
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = report_config(w, o, &cfgs[i], &pools[i]);
	for (size_t i = 0; i < n; i++) {
		free(pools[i].faults);
		free(pools[i].hist);
	}
	return ret;
}

/* The configurations of one point of the sweep (pattern pi, vCPU count
 * vi): the realm, the normal VM, or both, in that order. Returns how many. */
static size_t point_configs(const struct run_options *o, size_t pi, size_t vi,
			    struct run_config cfgs[2])
{
	size_t n = 0;

	for (int vm = 0; vm < 2; vm++) {
		if ((vm == 0 && !o->want_realm) || (vm == 1 && !o->want_normal))
			continue;
		cfgs[n++] = (struct run_config){
			.vm = vm == 0 ? VM_REALM : VM_NORMAL,
			.policy = vm == 0 ? o->realm_policy : kvm_policy_find("normal"),
			.pattern = o->patterns[pi],
			.size = o->size,
			.page = o->page ? o->page : default_page_for(o->patterns[pi]),
			.hugetlb = o->hugetlb,
			.vcpus = o->vcpus[vi],
			.seed = o->seed,
			.stage_timing = o->stage_timing,
			.fresh_backing = !o->prefault,
			.pin_cpus = o->n_pin ? o->pin : NULL,
			/* --profile with per-command costs: each fault record
			 * sums its calls' RMM instructions (modeled.*). */
			.rmi_weights = vm == 0 && run_profile && run_profile->per_call ?
				       run_weights : NULL,
			.phases = o->phases,
			.populate = o->populate,
			.populate_measured = !o->populate_unmeasured,
		};
	}
	return n;
}

/* kvm realms: the CCA host series this kernel speaks names the sim
 * policy the results are labelled with (cca-v14, cca-v15) and tells the
 * VMM which uAPI to speak; a --policy of the other series is refused. */
static int kvm_realm_series(struct run_options *o)
{
	char err[512];
	struct run_config cfgs[2];
	enum vmm_cca_series series;

	point_configs(o, 0, 0, cfgs);  /* the realm comes first */
	if (vmm_cca_detect(&cfgs[0], &o->vmm, &series, err, sizeof(err)) ||
	    vmm_cca_policy_check(o->policy_arg, o->policy_arg ? o->realm_policy->series : NULL,
				 series, err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: %s\n", err);
		return -1;
	}
	o->vmm.cca_series = series;
	o->realm_policy = kvm_policy_of_series(vmm_cca_series_name(series));
	return o->realm_policy ? 0 : -1;
}

/* kvm: every configuration must suit the backend and this host before
 * anything is written (a refusal is exit 2, nothing on disk). */
static int kvm_preflight(struct run_options *o)
{
	char err[512];
	struct run_config cfgs[2];

	for (size_t pi = 0; pi < o->n_patterns; pi++)
		for (size_t vi = 0; vi < o->n_vcpus; vi++)
			for (size_t i = 0, n = point_configs(o, pi, vi, cfgs); i < n; i++)
				if (vmm_validate(&cfgs[i], &o->vmm, err, sizeof(err)) ||
				    vmm_host_check(&cfgs[i], &o->vmm, err, sizeof(err))) {
					fprintf(stderr, "rme-bench run: %s\n", err);
					return -1;
				}
	return o->want_realm ? kvm_realm_series(o) : 0;
}

/* Every configuration must fit this host's memory (and the sim's modeled
 * DRAM) before anything is mapped, printed or written: exit 2 otherwise. */
static int mem_preflight(const struct run_options *o)
{
	struct mem_available avail;
	struct run_config cfgs[2];
	char err[512];

	mem_available(&avail);
	for (size_t pi = 0; pi < o->n_patterns; pi++)
		for (size_t vi = 0; vi < o->n_vcpus; vi++)
			for (size_t i = 0, n = point_configs(o, pi, vi, cfgs); i < n; i++) {
				struct mem_need need;
				char sz[16];
				mem_need_of(&cfgs[i], !o->kvm, o->repeat, POOL_MAX_RECORDS, &need);
				if (!mem_check(&need, &avail, err, sizeof(err)))
					continue;
				fprintf(stderr, "rme-bench run: %s %s, %u vCPUs x %s: %s\n",
					cfgs[i].vm == VM_REALM ? "realm" : "normal",
					cfgs[i].pattern->name, cfgs[i].vcpus,
					cli_format_size(cfgs[i].size, sz, sizeof(sz)), err);
				return -1;
			}
	return 0;
}

static const char *default_out_dir(struct run_options *o)
{
	return cli_default_results_dir(o->out_buf, sizeof(o->out_buf), "run",
				       o->kvm ? "-kvm" : "-sim");
}

static int write_meta_extras(struct results_writer *w, const struct run_options *o)
{
	char err[256], pins[1024] = "[";
	size_t len = 1;

	for (size_t i = 0; i < o->n_pin && len < sizeof(pins) - 16; i++)
		len += (size_t)snprintf(pins + len, sizeof(pins) - len, "%s%d", i ? "," : "",
					o->pin[i]);
	snprintf(pins + len, sizeof(pins) - len, "]");
	/* kvm: the uAPI series, guest clock and backing replace the model's notes. */
	if (o->kvm && (results_meta_add_json(w, "pin_cpus", pins, err, sizeof(err)) ||
		       results_meta_add_u64(w, "seed", o->seed, err, sizeof(err)) ||
		       vmm_meta_extras(w, &o->vmm, err, sizeof(err)))) {
		fprintf(stderr, "rme-bench run: meta.json: %s\n", err);
		return -1;
	}
	if (o->kvm)
		return 0;
	if (results_meta_add_json(w, "pin_cpus", pins, err, sizeof(err)) ||
	    results_meta_add_u64(w, "seed", o->seed, err, sizeof(err)) ||
	    results_meta_add_string(w, "stage_timing", o->stage_timing ? "on" : "off", err,
				    sizeof(err)) ||
	    results_meta_add_string(w, "rmm", "rme-bench RMM model (host/rmm)", err,
				    sizeof(err)) ||
	    results_meta_add_u64(w, "cpus_available", run_cpus_available(), err, sizeof(err)) ||
	    results_meta_add_string(w, "oversubscribed",
				    "runs whose extra.oversubscribed is 1 had more vCPU threads "
				    "than cpus_available: they time-slice, counts are exact, "
				    "fault times include waiting for a CPU",
				    err, sizeof(err)) ||
	    results_meta_add_string(w, "backing_2m",
				    o->hugetlb ? "hugetlb: realms of policies that map blocks "
						 "from hugetlbfs (cca-v1) get 2 MiB blocks"
					       : "thp: realms of policies that disable THP "
						 "blocks (cca-v1) map 4 KiB pages",
				    err, sizeof(err)) ||
	    results_meta_add_string(w, "note",
				    "sim backend: times are this host's execution of the RMM "
				    "and KVM host models, not hardware; counts are exact",
				    err, sizeof(err)) ||
	    results_meta_add_string(w, "backing",
				    o->prefault ? "prefaulted: guest RAM is faulted in before "
						  "each run (a preallocating VMM); page_pin pins "
						  "a resident page"
						: "fresh: the first guest touch of a page also "
						  "pays this host's own page fault (allocation, "
						  "zeroing, and any hypervisor below)",
				    err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: meta.json: %s\n", err);
		return -1;
	}
	return 0;
}

/* sim: pin plans, perf availability, topology.xml and repeats.csv, all
 * before summary.json (written last by the commit) marks the directory
 * complete. */
static int finish_sim_results(struct results_writer *w, const char *out, bool perf_stages)
{
	char err[256];

	if (perf_stages && run_perf_stage_meta(w, perf_read_cost_ns, err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: %s\n", err);
		return -1;
	}
	if ((run_profile->smc_ns > 0 &&
	     (results_meta_add_string(w, "profile_source", run_profile->source, err, sizeof(err)) ||
	      results_meta_add_string(w, "profile_not_modeled", run_profile->not_modeled, err,
				      sizeof(err)) ||
	      results_meta_add_string(w, "modeled_note", "modeled.* extras of realm runs add "
				      "the profile's per-SMC cost (and, where it has them, the RMM's "
				      "instructions per command at its clock and IPC, a fault charged "
				      "its calls times the run's mean per call) to each measured fault "
				      "(source: modeled); every other number is sim-measured", err,
				      sizeof(err)) ||
	      (run_profile->per_call &&
	       results_meta_add_string(w, "profile_per_call_source", run_profile->per_call_source,
				       err, sizeof(err))))) ||
	    run_pin_meta(&pinning, w, err, sizeof(err)) ||
	    run_perf_meta(w, err, sizeof(err)) ||
	    run_pin_write_topology(&pinning, out, err, sizeof(err)) ||
	    run_repeat_log_write(&repeat_log, out, err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	char err[256];
	int ret = parse_options(argc, argv, &o);

	if (ret)
		return ret == 1 ? 0 : ret;
	if (mem_preflight(&o))
		return 2;
	if (stage_clock_init()) {
		fprintf(stderr, "rme-bench run: no usable clock\n");
		return 1;
	}
	if (o.kvm && kvm_preflight(&o))
		return 2;
	(void)run_cpus_available(); /* before pinning changes this thread's mask */
	run_profile = cost_profile_find(o.profile);
	if (run_profile && run_profile->per_call && o.realm_policy)
		cost_profile_weights(run_profile,
				     o.realm_policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0", run_weights);
	if (o.perf_stages)
		perf_read_cost_ns = run_perf_read_cost_ns();
	if (!o.kvm && run_pin_init(&pinning, o.pin_arg, o.vcpus, o.n_vcpus, err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: %s\n", err);
		run_pin_free(&pinning);
		return 2;
	}
	const char *out = o.out ? o.out : default_out_dir(&o);
	struct results_meta meta = {
		.backend = o.kvm ? "kvm" : "sim",
		.abi = o.realm_policy ? (o.realm_policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0") : "-",
		.policy = o.realm_policy ? o.realm_policy->name : "normal",
		.profile = o.profile,
		.source = o.kvm ? RESULTS_SOURCE_REAL_VM : RESULTS_SOURCE_SIM_MEASURED,
		.argc = argc + 1,
		.argv = argv - 1,
	};
	struct results_writer *w = results_open(out, &meta, err, sizeof(err));
	if (!w) {
		int refused = errno == EEXIST || errno == EBUSY;
		fprintf(stderr, "rme-bench run: %s\n", err);
		run_pin_free(&pinning);
		return refused ? 2 : 1;
	}
	if (write_meta_extras(w, &o)) {
		results_discard(w);
		return 1;
	}

	print_header();
	ret = 0;
	for (size_t pi = 0; pi < o.n_patterns && !ret; pi++) {
		for (size_t vi = 0; vi < o.n_vcpus && !ret; vi++) {
			struct run_config cfgs[2];
			ret = run_point(w, &o, cfgs, point_configs(&o, pi, vi, cfgs));
		}
	}
	if (!ret && !o.kvm)
		ret = finish_sim_results(w, out, o.perf_stages);
	run_pin_free(&pinning);
	run_repeat_log_free(&repeat_log);
	if (ret) {
		results_discard(w);
		fprintf(stderr, "rme-bench run: failed; no results written\n");
		return run_refused ? 2 : 1;
	}
	if (results_commit(w, err, sizeof(err))) {
		fprintf(stderr, "rme-bench run: %s\n", err);
		return 1;
	}
	printf("results: %s\n", out);
	return 0;
}
