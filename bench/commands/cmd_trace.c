/*
 * `rme-bench trace`: in-kernel stage timing through tracefs (see
 * host/tracefs/include/tracefs/tracefs.h), for any VMM:
 *
 *   trace check  [--vm normal|realm]
 *       which probe points this kernel has; creates the probes and the
 *       instance once and tears them down (exit 1 if it cannot).
 *   trace record [--vm ...] [labels] [--keep-trace] --out DIR -- CMD [ARG...]
 *       runs CMD (a VMM: rme-bench run --backend kvm, kvmtool, ...) with
 *       the probes on, restricted to CMD's process tree, and writes the
 *       faults its vCPU threads took as a results directory.
 *   trace ingest [--vm ...] [labels] --out DIR FILE
 *       the same from a trace saved earlier (record --keep-trace, or the
 *       instance's "trace" file copied from another machine).
 *
 * Labels (--pattern, --size, --page, --policy, --abi) only name the run in
 * the results so that `compare` can match it against a sim run; the
 * kernel cannot know them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "kvm/policy.h"
#include "results/input_file.h"
#include "commands.h"
#include "rmi_cmd/rmi_cmd.h"
#include "clock/fault_log.h"
#include "results/provenance.h"
#include "results/results.h"
#include "clock/stage_clock.h"
#include "tracefs/tracefs.h"

struct trace_opts {
	enum tracefs_vm vm;
	const char *out;
	const char *pattern, *policy, *abi, *page;
	uint64_t size;
	bool keep_trace;
	const char *raw;
	const char *match_guest;
	const char *rmi_sites;
	const char *host_file;
	uint64_t buffer_kb;
	char label_policy[64], label_abi[8]; /* taken from --match-guest */
	int argc;
	char **argv;
};

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: rme-bench trace check  [--vm normal|realm]\n"
		"       rme-bench trace record [OPTIONS] --out DIR -- CMD [ARG...]\n"
		"       rme-bench trace ingest [OPTIONS] [--raw RAW_FILE] --out DIR TRACE_FILE\n"
		"  --vm normal|realm     which host functions to probe (default normal)\n"
		"  --out DIR             results directory to write\n"
		"  --pattern NAME        label of the run (default external)\n"
		"  -b, --size BYTES      label: guest memory per vCPU (default 0)\n"
		"  -s, --page 4K|2M      label: backing page (default 4K)\n"
		"  --policy NAME         label (default: the --match-guest run's policy;\n"
		"                        normal for --vm normal; a realm needs one of them)\n"
		"  --abi 1.0|2.0|-       label (default: the --match-guest run's ABI, else\n"
		"                        - for normal, 2.0 for realm)\n"
		"  --buffer-kb N         record: ring buffer per CPU in KiB (default 16384;\n"
		"                        roughly 0.5 KiB per fault with every probe)\n"
		"  --keep-trace          record: keep the trace as DIR/kernel.trace (text)\n"
		"                        and DIR/kernel.raw (nanosecond timestamps)\n"
		"  --raw FILE            ingest: nanosecond timestamps of the same trace\n"
		"  --host FILE           ingest: the measured host and its times (record\n"
		"                        --keep-trace writes DIR/kernel.host.json; default:\n"
		"                        kernel.host.json next to TRACE_FILE, if there)\n"
		"  --rmi-sites FILE      record: count RMI calls per fault by command, from\n"
		"                        kprobes at the kernel's SMC sites listed in FILE\n"
		"                        (scripts/qemu/rmi-smc-sites.py VMLINUX); ingest\n"
		"                        counts the sites' events found in the trace\n"
		"  --match-guest DIR     keep only faults at IPAs the guest timed in DIR's\n"
		"                        faults.csv (rme-bench run --backend kvm results):\n"
		"                        the pattern's own faults, not the payload's\n"
		"env RMEB_TRACEFS=DIR    tracefs root (default /sys/kernel/tracing)\n");
}

static int bad_label(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "rme-bench trace: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 2;
}

/* The labels name the run in the results as `run` would: the same page
 * sizes, ABIs that the VM speaks, a policy this build knows (or one
 * marked foreign in meta.json), names a figure can print. */
static int check_labels(struct trace_opts *o)
{
	bool realm = o->vm == TRACEFS_VM_REALM;

	if (!strcmp(o->page, "4k") || !strcmp(o->page, "2m"))
		o->page = o->page[0] == '4' ? "4K" : "2M";
	if (strcmp(o->page, "4K") && strcmp(o->page, "2M"))
		return bad_label("--page: '%s' is not 4K or 2M%s", o->page, "");
	if (realm ? strcmp(o->abi, "1.0") && strcmp(o->abi, "2.0") : strcmp(o->abi, "-"))
		return bad_label("--abi: '%s' does not apply to this VM (%s)", o->abi,
				 realm ? "a realm speaks 1.0 or 2.0" : "a normal VM has none: -");
	if (!realm && strcmp(o->policy, "normal"))
		return bad_label("--policy: '%s' with --vm normal (%s)", o->policy,
				 "a normal VM's policy is normal");
	if (!results_label_ok(o->pattern) || !results_label_ok(o->policy))
		return bad_label("--pattern/--policy: '%s' / '%s' is not 1-64 characters of "
				 "A-Z a-z 0-9 . _ + -", o->pattern, o->policy);
	if (realm && !kvm_policy_find(o->policy))
		fprintf(stderr, "rme-bench trace: --policy %s is no policy of this build: the "
			"results mark it foreign\n", o->policy);
	return 0;
}

static int parse(int argc, char **argv, struct trace_opts *o)
{
	enum { OPT_VM = 256, OPT_OUT, OPT_PATTERN, OPT_POLICY, OPT_ABI, OPT_KEEP, OPT_RAW, OPT_MATCH, OPT_BUFFER,
	       OPT_RMI_SITES, OPT_HOST };
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, OPT_VM },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "size", required_argument, NULL, 'b' },
		{ "page", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "abi", required_argument, NULL, OPT_ABI },
		{ "keep-trace", no_argument, NULL, OPT_KEEP },
		{ "raw", required_argument, NULL, OPT_RAW },
		{ "match-guest", required_argument, NULL, OPT_MATCH },
		{ "buffer-kb", required_argument, NULL, OPT_BUFFER },
		{ "rmi-sites", required_argument, NULL, OPT_RMI_SITES },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;
	optind = 1;
	/* '+': stop at the first non-option, the command of `record`. */
	while ((c = getopt_long(argc, argv, "+b:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_VM:
			if (!strcmp(optarg, "normal"))
				o->vm = TRACEFS_VM_NORMAL;
			else if (!strcmp(optarg, "realm"))
				o->vm = TRACEFS_VM_REALM;
			else {
				fprintf(stderr, "rme-bench trace: --vm: '%s' is not normal or realm\n",
					optarg);
				return 2;
			}
			break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_PATTERN: o->pattern = optarg; break;
		case OPT_POLICY: o->policy = optarg; break;
		case OPT_ABI: o->abi = optarg; break;
		case OPT_KEEP: o->keep_trace = true; break;
		case OPT_RAW: o->raw = optarg; break;
		case OPT_MATCH: o->match_guest = optarg; break;
		case OPT_RMI_SITES: o->rmi_sites = optarg; break;
		case OPT_HOST: o->host_file = optarg; break;
		case OPT_BUFFER:
			if (cli_parse_u64("--buffer-kb", optarg, 4u << 20, &o->buffer_kb, err,
					  sizeof(err)) || o->buffer_kb < 64) {
				fprintf(stderr, "rme-bench trace: --buffer-kb: '%s' is not a size in "
						"KiB between 64 and 4194304\n", optarg);
				return 2;
			}
			break;
		case 's': o->page = optarg; break;
		case 'b':
			if (cli_parse_size("--size", optarg, &o->size, err, sizeof(err))) {
				fprintf(stderr, "rme-bench trace: %s\n", err);
				return 2;
			}
			break;
		case 'h': trace_usage(stdout); return -1;
		default: trace_usage(stderr); return 2;
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	if (!o->pattern)
		o->pattern = "external";
	if (!o->page)
		o->page = "4K";
	return 0;
}

/*
 * The run's policy and ABI labels: given, else those of the guest's run
 * (--match-guest: the VMM's results name the policy its kernel follows),
 * for a realm; "normal" for a normal VM. A realm's host series cannot be read from
 * the kernel: without either, refuse rather than invent a name. 0 or 2.
 */
static int resolve_labels(struct trace_opts *o)
{
	const char *vm = o->vm == TRACEFS_VM_REALM ? "realm" : "normal";
	if (!o->policy && o->match_guest && o->vm == TRACEFS_VM_REALM) {
		struct results_summary sum;
		char err[512];
		if (results_load_summary(o->match_guest, &sum, err, sizeof(err))) {
			fprintf(stderr, "rme-bench trace: --match-guest: %s\n", err);
			return 2;
		}
		const char *policy = NULL, *abi = NULL;
		bool mixed = false;
		for (size_t i = 0; i < sum.n_runs; i++) {
			const struct results_run_summary *r = &sum.runs[i];
			if (strcmp(r->vm, vm))
				continue;
			mixed |= (policy && strcmp(policy, r->policy)) || (abi && strcmp(abi, r->abi));
			policy = r->policy;
			abi = r->abi;
		}
		if (policy && !mixed) {
			snprintf(o->label_policy, sizeof(o->label_policy), "%s", policy);
			snprintf(o->label_abi, sizeof(o->label_abi), "%s", abi);
		}
		results_summary_free(&sum);
		if (!policy || mixed) {
			fprintf(stderr, "rme-bench trace: --match-guest %s has %s %s run: name the "
					"policy with --policy\n", o->match_guest,
				mixed ? "more than one policy for a" : "no", vm);
			return 2;
		}
		if (!o->policy)
			o->policy = o->label_policy;
		if (!o->abi)
			o->abi = o->label_abi;
	}
	if (!o->policy && o->vm == TRACEFS_VM_REALM) {
		fprintf(stderr, "rme-bench trace: --vm realm needs --policy NAME or --match-guest DIR: "
				"the kernel does not say which host series it runs\n");
		return 2;
	}
	if (!o->policy)
		o->policy = "normal";
	/* The CCA host series rme-bench's VMM targets speak RMI 2.0: their
	 * function IDs are named in that ABI. */
	if (!o->abi)
		o->abi = o->vm == TRACEFS_VM_REALM ? "2.0" : "-";
	return check_labels(o);
}

static int fail_status(const char *what, enum tracefs_status st, const char *err)
{
	fprintf(stderr, "rme-bench trace %s: %s\n", what, err);
	return tracefs_exit_code(st);
}

static int trace_check(const struct trace_opts *o)
{
	struct tracefs_session_opts so = { .vm = o->vm };
	struct tracefs_session *s;
	char err[512], desc[4096], missing[512];
	enum tracefs_status st = tracefs_session_open(&so, &s, err, sizeof(err));
	if (st)
		return fail_status("check", st, err);
	tracefs_plan_describe(tracefs_session_plan(s), desc, sizeof(desc));
	tracefs_plan_missing(tracefs_session_plan(s), missing, sizeof(missing));
	printf("%s", desc);
	printf("trace clock: %s\n", tracefs_session_clock(s));
	printf("missing: %s\n", missing[0] ? missing : "none");
	st = tracefs_session_start(s, err, sizeof(err));
	if (!st)
		st = tracefs_session_stop(s, err, sizeof(err));
	tracefs_session_close(s);
	if (st)
		return fail_status("check", st, err);
	printf("probes created, enabled in an instance and removed: ok\n");
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The 4K pages of the "ipa" column of DIR/faults.csv, sorted, unique. */
static int load_guest_pages(const char *dir, uint64_t **out, size_t *n)
{
	char path[4096], err[512];
	snprintf(path, sizeof(path), "%s/faults.csv", dir);
	FILE *f = input_file_open(path, INPUT_CSV_MAX, NULL, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "rme-bench trace: --match-guest: %s\n", err);
		return -1;
	}
	char *line = malloc(INPUT_LINE_MAX);
	size_t n_pages = 0, cap_pages = 0;
	uint64_t *pages = NULL;
	int col = -1;
	bool ok = line != NULL;
	enum input_line got = INPUT_LINE_EOF;
	while (ok && (got = input_file_line(f, line, INPUT_LINE_MAX)) == INPUT_LINE_OK) {
		char *save = NULL, *tok = strtok_r(line, ",\n", &save);
		for (int i = 0; tok; i++, tok = strtok_r(NULL, ",\n", &save)) {
			if (col < 0 && !strcmp(tok, "ipa")) {
				col = i;
				break;
			}
			if (col >= 0 && i == col) {
				if (n_pages == cap_pages) {
					cap_pages = cap_pages ? 2 * cap_pages : 1024;
					uint64_t *p = realloc(pages, cap_pages * sizeof(*p));
					if (!p) {
						ok = false;
						break;
					}
					pages = p;
				}
				pages[n_pages++] = strtoull(tok, NULL, 0) & ~0xfffull;
				break;
			}
		}
		if (col < 0)
			ok = false; /* the header must come first */
	}
	free(line);
	fclose(f);
	if (ok && got != INPUT_LINE_EOF) {
		fprintf(stderr, "rme-bench trace: --match-guest: %s: %s\n", path,
			input_line_problem(got));
		free(pages);
		return -1;
	}
	if (!ok || n_pages == 0) {
		fprintf(stderr, "rme-bench trace: --match-guest: %s has %s\n", path,
			col < 0 ? "no \"ipa\" column header" : "no fault rows");
		free(pages);
		return -1;
	}
	qsort(pages, n_pages, sizeof(*pages), cmp_u64);
	size_t u = 1;
	for (size_t i = 1; i < n_pages; i++)
		if (pages[i] != pages[u - 1])
			pages[u++] = pages[i];
	*out = pages;
	*n = u;
	return 0;
}

/* --match-guest: the guest's pages, and which of them a kernel fault explained. */
struct guest_match {
	uint64_t *pages;
	size_t n_pages;
	bool *seen;
	uint64_t outside; /* kernel faults at no page the guest timed */
};

static void guest_match_free(struct guest_match *m)
{
	free(m->pages);
	free(m->seen);
}

static int guest_match_load(const char *dir, struct guest_match *m)
{
	*m = (struct guest_match){ 0 };
	if (load_guest_pages(dir, &m->pages, &m->n_pages))
		return -1;
	m->seen = calloc(m->n_pages, sizeof(*m->seen));
	if (!m->seen) {
		guest_match_free(m);
		return -1;
	}
	return 0;
}

/* The correlator's filter: keep a fault at a page the guest timed. */
static bool guest_match_keep(void *ctx, const struct fault_record *r)
{
	struct guest_match *m = ctx;
	uint64_t page = r->ipa & ~0xfffull;
	/* The guest names a page by its GPA; the kernel reports a realm's
	 * unprotected accesses at the alias IPA, the GPA with the top IPA bit
	 * set. An IPA above every page the guest timed is such an alias: its
	 * top set bit is the alias bit. */
	if (page > m->pages[m->n_pages - 1] && page)
		page &= ~(1ull << (63 - __builtin_clzll(page)));
	uint64_t *hit = bsearch(&page, m->pages, m->n_pages, sizeof(*m->pages), cmp_u64);
	if (!hit) {
		m->outside++;
		return false;
	}
	m->seen[hit - m->pages] = true;
	return true;
}

static uint64_t guest_match_unmatched(const struct guest_match *m)
{
	uint64_t n = 0;
	for (size_t i = 0; i < m->n_pages; i++)
		n += !m->seen[i];
	return n;
}

/* Write the correlated faults as one run of a results directory. */
/*
 * Ingest: the machine the trace was recorded on and when (from the host
 * file record --keep-trace wrote), and this machine and time apart. When
 * the trace came without one, the host is "not recorded", never this one.
 */
struct measured_host {
	char *host_json;
	struct timespec start;
	char ingest_json[8192];
};

static int measured_host_load(const struct trace_opts *o, struct measured_host *mh)
{
	char path[4096], err[512];
	const char *file = o->host_file;
	if (!file) {
		const char *slash = strrchr(o->argv[0], '/');
		snprintf(path, sizeof(path), "%.*s%skernel.host.json",
			 slash ? (int)(slash - o->argv[0]) : 0, o->argv[0], slash ? "/" : "");
		file = access(path, F_OK) == 0 ? path : NULL;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char when[64], *here = results_host_json("");
	results_format_utc(&now, when, sizeof(when));
	snprintf(mh->ingest_json, sizeof(mh->ingest_json), "{\"time\": \"%s\", \"host\": %s}",
		 when, here ? here : "null");
	free(here);
	if (!file) {
		mh->host_json = strdup("{\"recorded\": false, \"note\": \"the trace came without "
				       "its host description (trace record --keep-trace writes "
				       "kernel.host.json): the measured machine and the time of "
				       "the run are unknown; start_time is the ingest time\"}");
		mh->start = now;
		return mh->host_json ? 0 : -1;
	}
	if (results_read_host_file(file, &mh->host_json, &mh->start, err, sizeof(err))) {
		fprintf(stderr, "rme-bench trace ingest: --host: %s\n", err);
		return -1;
	}
	return 0;
}

/* Per-command RMI counts under the sim's names (PREFIX + RMI_<COMMAND>),
 * appended from index *N on; NAMES holds the strings. */
#define TRACE_COUNT_NAMES (3 * TRACEFS_RMI_FIDS)
static void fid_counts(const uint64_t *fids, const char *abi, const char *prefix,
		       char names[][64], struct results_count *counts, size_t *n)
{
	enum rmi_abi rabi = abi && !strcmp(abi, "1.0") ? RMI_ABI_1_0 : RMI_ABI_2_0;
	for (size_t i = 0; i < TRACEFS_RMI_FIDS && *n < TRACE_COUNT_NAMES; i++) {
		if (!fids[i])
			continue;
		uint64_t fid = TRACEFS_RMI_FID_BASE + i;
		const char *name = rmi_cmd_name(rabi, fid);
		if (name)
			snprintf(names[*n], sizeof(names[0]), "%sRMI_%s", prefix, name);
		else
			snprintf(names[*n], sizeof(names[0]), "%sRMI_FID_%#llx", prefix,
				 (unsigned long long)fid);
		counts[*n] = (struct results_count){ names[*n], fids[i] };
		(*n)++;
	}
}

static int write_results(const struct trace_opts *o, struct tracefs_corr *c,
			 const struct guest_match *gm, const struct measured_host *mh,
			 const char *clock,
			 const char *missing, const char *notes, unsigned resolution_ns,
			 uint64_t overruns, uint64_t wall_ns, int argc,
			 char **argv)
{
	char err[512];
	size_t nv = tracefs_corr_vcpus(c);
	const struct tracefs_corr_stats *st = tracefs_corr_stats(c);
	if (nv == 0 || st->faults == 0) {
		fprintf(stderr, "rme-bench trace: %s: nothing to write\n", nv == 0
			? "no vCPU thread left a guest in the trace (no kvm_exit events)"
			: st->filtered ? "no fault is at a page the guest timed (--match-guest)"
			: "the trace has no fault spans (kvm_exit .. kvm_entry with a mapping stage)");
		return 2;
	}
	/* A line that did not parse may have been a fault's event: a few are
	 * counted in the results, more than one in a thousand is a refusal. */
	if (st->bad_lines * 1000 > st->events + st->bad_lines) {
		fprintf(stderr, "rme-bench trace: %llu of %llu lines are not in the kernel's trace "
			"format (more than 0.1 %%): refused, the faults would be incomplete\n",
			(unsigned long long)st->bad_lines,
			(unsigned long long)(st->events + st->bad_lines));
		return 2;
	}
	if (st->stages_clamped) {
		fprintf(stderr, "rme-bench trace: %llu faults have a stage longer than 4.29 s, "
			"more than faults.csv's 32-bit stage times hold: refused\n",
			(unsigned long long)st->stages_clamped);
		return 2;
	}
	struct fault_log **logs = calloc(nv, sizeof(*logs));
	if (!logs)
		return 1;
	for (size_t i = 0; i < nv; i++)
		logs[i] = tracefs_corr_log(c, i);
	struct fault_record *faults = NULL;
	size_t n = 0;
	uint64_t dropped = 0;
	int merged = fault_log_merge(logs, nv, &faults, &n, &dropped);
	free(logs);
	if (merged) {
		fprintf(stderr, "rme-bench trace: out of memory merging fault logs\n");
		return 1;
	}

	/* The tracefs clock as the run's time source. */
	struct stage_clock_info clk = { .source = "tracefs", .ticks_per_ns = 1.0,
					.resolution_ns = resolution_ns, .freq_hz = 1000000000ull,
					.invariant = true,
					.note = resolution_ns > 1 ?
						"trace text only: microsecond timestamps" :
						"raw trace read: nanosecond timestamps" };
	/* Profile "none", as `rme-bench run` names a run without modeled costs. */
	struct results_meta meta = { .backend = "kvm", .abi = o->abi, .policy = o->policy,
				     .profile = "none",
				     .source = RESULTS_SOURCE_REAL_VM, .argc = argc, .argv = argv,
				     .clock = &clk, .host_json = mh ? mh->host_json : NULL,
				     .start_time = mh ? mh->start : (struct timespec){ 0 } };
	struct results_writer *w = results_open(o->out, &meta, err, sizeof(err));
	if (!w) {
		int refused = errno == EEXIST || errno == EBUSY || errno == EINVAL;
		free(faults);
		fprintf(stderr, "rme-bench trace: %s\n", err);
		return refused ? 2 : 1;
	}
	bool counted = st->smc_in_faults || st->smc_filtered || st->smc_elsewhere || o->rmi_sites;
	/* RMI calls by command, under the sim's count names (RMI_<COMMAND>):
	 * the kept faults' only, so that they add up to rmi_calls; the calls of
	 * the faults --match-guest dropped and those in no fault under keys of
	 * their own in extra. */
	static char names[TRACE_COUNT_NAMES][64];
	struct results_count counts[TRACE_COUNT_NAMES];
	size_t n_counts = 0, n_apart;
	fid_counts(tracefs_corr_rmi_counts(c), o->abi, "", names, counts, &n_counts);
	n_apart = n_counts;
	fid_counts(tracefs_corr_rmi_counts_filtered(c), o->abi, "outside_guest_touches.", names,
		   counts, &n_apart);
	fid_counts(tracefs_corr_rmi_counts_outside(c), o->abi, "outside_faults.", names, counts,
		   &n_apart);
	struct results_extra extra[16 + TRACE_COUNT_NAMES] = {
		{ "other_exits", (double)st->other_exits },
		{ "dropped_spans", (double)st->unbalanced },
		{ "lost_event_markers", (double)st->lost_lines },
		{ "ring_buffer_overruns", (double)overruns },
		{ "kernel_faults_outside_guest_touches", gm ? (double)gm->outside : NAN },
		{ "guest_touches_without_kernel_fault", gm ? (double)guest_match_unmatched(gm) : NAN },
		/* RMI counts: NaN when no SMC site was probed (not "zero calls"). */
		{ "rmi_calls_counted", counted ? 1 : NAN },
		{ "rmi_calls_outside_faults", counted ? (double)st->smc_elsewhere : NAN },
		{ "rmi_calls_outside_guest_touches",
		  counted && gm ? (double)st->smc_filtered : NAN },
		{ "rmi_calls_joined_to_ripas_change", counted ? (double)st->smc_joined_ripas : NAN },
		{ "smc_events_not_rmi", (double)st->smc_foreign_fid },
		{ "unparsed_lines", (double)st->bad_lines },
	};
	size_t n_extra = 0;
	while (extra[n_extra].name)
		n_extra++;
	for (size_t i = n_counts; i < n_apart; i++)
		extra[n_extra++] = (struct results_extra){ counts[i].name, (double)counts[i].count };
	struct results_run run = {
		.vm = o->vm == TRACEFS_VM_REALM ? "realm" : "normal",
		.pattern = o->pattern, .policy = o->policy, .abi = o->abi, .page = o->page,
		.size = o->size, .vcpus = (uint32_t)nv, .faults = faults, .n_faults = n,
		.dropped_faults = dropped, .total_ns = wall_ns, .source = RESULTS_SOURCE_REAL_VM,
		.counts = counts, .n_counts = n_counts,
		.extra = extra, .n_extra = n_extra,
	};
	int ok = results_meta_add_string(w, "stage_timing", "tracefs kprobes + kvm tracepoints",
					 err, sizeof(err)) == 0 &&
		 results_meta_add_string(w, "trace_clock", clock, err, sizeof(err)) == 0 &&
		 results_meta_add_string(w, "probes_missing", missing[0] ? missing : "none", err,
					 sizeof(err)) == 0 &&
		 (!notes[0] ||
		  results_meta_add_string(w, "probes_missing_effect", notes, err, sizeof(err)) == 0) &&
		 results_meta_add_string(w, "timing_note",
					 "each kprobe hit adds its own cost to the stage it brackets; "
					 "rec_exit (guest to kvm_exit) is not visible to the host",
					 err, sizeof(err)) == 0 &&
		 (!mh || !mh->ingest_json[0] || results_meta_add_json(w, "ingested_on", mh->ingest_json, err,
						sizeof(err)) == 0) &&
		 (kvm_policy_find(o->policy) ||
		  results_meta_add_string(w, "foreign_policy", o->policy, err, sizeof(err)) == 0) &&
		 results_add_run(w, &run, err, sizeof(err)) >= 0;
	free(faults);
	if (!ok) {
		results_discard(w);
		fprintf(stderr, "rme-bench trace: results: %s\n", err);
		return 1;
	}
	if (results_commit(w, err, sizeof(err))) {
		fprintf(stderr, "rme-bench trace: results: %s\n", err);
		return 1;
	}
	printf("rme-bench trace: %zu faults on %zu vCPUs (%llu other exits, %llu dropped spans) "
	       "-> %s\n", n, nv, (unsigned long long)st->other_exits,
	       (unsigned long long)st->unbalanced, o->out);
	return 0;
}

/* The raw lines ("pid cpu ts_ns type: id") of PATH. 0, or -1 with a message. */
static int read_raw_file(const char *path, struct tracefs_raw_ts **out, size_t *n)
{
	char err[512];
	FILE *f = input_file_open(path, INPUT_TRACE_MAX, NULL, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "rme-bench trace ingest: --raw: %s\n", err);
		return -1;
	}
	struct tracefs_raw_ts *ts = NULL;
	size_t cap = 0;
	char *line = malloc(INPUT_LINE_MAX);
	enum input_line got = INPUT_LINE_EOF;
	*n = 0;
	while (line && (got = input_file_line(f, line, INPUT_LINE_MAX)) == INPUT_LINE_OK) {
		struct tracefs_raw_ts r;
		if (!tracefs_parse_raw_line(line, &r))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			struct tracefs_raw_ts *t = realloc(ts, cap * sizeof(*t));
			if (!t) {
				fprintf(stderr, "rme-bench trace ingest: out of memory\n");
				free(ts);
				free(line);
				fclose(f);
				return -1;
			}
			ts = t;
		}
		ts[(*n)++] = r;
	}
	free(line);
	fclose(f);
	if (got != INPUT_LINE_EOF) {
		fprintf(stderr, "rme-bench trace ingest: --raw: %s: %s\n", path,
			line ? input_line_problem(got) : "out of memory");
		free(ts);
		return -1;
	}
	if (*n == 0) {
		fprintf(stderr, "rme-bench trace ingest: --raw: %s has no raw trace lines "
				"(\"pid cpu ts_ns type: id\")\n", path);
		free(ts);
		return -1;
	}
	*out = ts;
	return 0;
}

/* The trace text of PATH into C: a regular file within its bound, line by
 * bounded line. TRACEFS_EIO (unreadable, not a regular file, a line too
 * long) or TRACEFS_EPARSE (not a trace) with a message. */
static enum tracefs_status feed_trace(struct tracefs_corr *c, const char *path, char *err,
				      size_t err_len)
{
	FILE *f = input_file_open(path, INPUT_TRACE_MAX, NULL, err, err_len);
	if (!f)
		return TRACEFS_EIO;
	char *line = malloc(INPUT_LINE_MAX);
	enum input_line got = INPUT_LINE_EOF;
	uint64_t lineno = 0;
	while (line && (got = input_file_line(f, line, INPUT_LINE_MAX)) == INPUT_LINE_OK) {
		lineno++;
		tracefs_corr_feed_line(c, line);
	}
	free(line);
	fclose(f);
	if (got != INPUT_LINE_EOF) {
		snprintf(err, err_len, "%s:%llu: %s", path, (unsigned long long)lineno + 1,
			 line ? input_line_problem(got) : "out of memory");
		return TRACEFS_EIO;
	}
	return tracefs_corr_check_text(c, path, err, err_len);
}

static int trace_ingest(const struct trace_opts *o, int argc, char **argv)
{
	if (o->argc != 1 || !o->out) {
		fprintf(stderr, "rme-bench trace ingest: needs --out DIR and one TRACE_FILE\n");
		return 2;
	}
	struct tracefs_plan plan;
	tracefs_plan_assume_all(o->vm, &plan);
	/* Like for like with the guest's (and the sim's) view of the pattern. */
	struct guest_match gm;
	if (o->match_guest && guest_match_load(o->match_guest, &gm))
		return 2;
	struct tracefs_corr *c = tracefs_corr_create(&plan, NULL, 0);
	if (!c) {
		if (o->match_guest)
			guest_match_free(&gm);
		return 1;
	}
	if (o->match_guest)
		tracefs_corr_set_filter(c, guest_match_keep, &gm);
	char err[512];
	size_t n_ts = 0;
	struct tracefs_raw_ts *ts = NULL;
	int rc = 2;
	struct measured_host mh = { 0 };
	if (measured_host_load(o, &mh) || (o->raw && read_raw_file(o->raw, &ts, &n_ts)))
		goto out;
	tracefs_corr_use_ns(c, ts, n_ts);
	enum tracefs_status st = feed_trace(c, o->argv[0], err, sizeof(err));
	const struct tracefs_corr_stats *cs = tracefs_corr_stats(c);
	if (!st && o->raw && (cs->ns_mismatches || cs->ns_events != n_ts)) {
		fprintf(stderr, "rme-bench trace ingest: %s does not match %s line for line "
				"(%llu of %zu timestamps used)\n", o->raw, o->argv[0],
			(unsigned long long)cs->ns_events, n_ts);
		goto out;
	}
	if (st)
		rc = st == TRACEFS_EIO || st == TRACEFS_EPARSE ? (fprintf(stderr,
			"rme-bench trace ingest: %s\n", err), 2) : fail_status("ingest", st, err);
	else
		rc = write_results(o, c, o->match_guest ? &gm : NULL, &mh, "unknown (ingested)", "", "",
				   o->raw ? 1 : 1000, 0, 0, argc, argv);
out:
	free(mh.host_json);
	free(ts);
	tracefs_corr_destroy(c);
	if (o->match_guest)
		guest_match_free(&gm);
	return rc;
}

/* Fork CMD stopped on a pipe, so tracing can follow its pid from exec on. */
static pid_t spawn_held(char **cmd, int *release_fd)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char go;
		close(p[1]);
		if (read(p[0], &go, 1) != 1)
			_exit(127);
		close(p[0]);
		execvp(cmd[0], cmd);
		fprintf(stderr, "rme-bench trace record: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*release_fd = p[1];
	return pid;
}

static int trace_record(struct trace_opts *o, int argc, char **argv)
{
	if (o->argc < 1 || !o->out) {
		fprintf(stderr, "rme-bench trace record: needs --out DIR and a command after --\n");
		return 2;
	}
	int lr = o->match_guest ? 0 : resolve_labels(o);
	if (lr)
		return lr;
	if (o->rmi_sites) {
		/* The site file is read by the session: the same bounds as any input. */
		char why[512];
		FILE *f = input_file_open(o->rmi_sites, INPUT_CMDS_MAX, NULL, why, sizeof(why));
		if (!f) {
			fprintf(stderr, "rme-bench trace record: --rmi-sites: %s\n", why);
			return 2;
		}
		fclose(f);
	}
	struct tracefs_session_opts so = { .vm = o->vm, .buffer_kb = (unsigned)o->buffer_kb,
					   .smc_sites = o->rmi_sites };
	struct tracefs_session *s;
	char err[512], missing[512], notes[1024];
	enum tracefs_status st = tracefs_session_open(&so, &s, err, sizeof(err));
	if (st)
		return fail_status("record", st, err);
	tracefs_plan_missing(tracefs_session_plan(s), missing, sizeof(missing));
	tracefs_plan_notes(tracefs_session_plan(s), notes, sizeof(notes));
	if (missing[0])
		fprintf(stderr, "rme-bench trace record: this kernel lacks %s: those stages are "
				"folded into their callers\n", missing);

	int release = -1, status = 0, rc = 1;
	pid_t pid = spawn_held(o->argv, &release);
	if (pid < 0) {
		fprintf(stderr, "rme-bench trace record: fork: %s\n", strerror(errno));
		tracefs_session_close(s);
		return 1;
	}
	uint64_t t0 = now_ns();
	struct timespec wall_start, wall_end;
	clock_gettime(CLOCK_REALTIME, &wall_start);
	if ((st = tracefs_session_follow_pid(s, pid, err, sizeof(err))) ||
	    (st = tracefs_session_start(s, err, sizeof(err)))) {
		kill(pid, SIGKILL);
		close(release);
		waitpid(pid, NULL, 0);
		tracefs_session_close(s);
		return fail_status("record", st, err);
	}
	/*
	 * Ctrl-C reaches CMD too (same process group); this process waits for
	 * it to end and still removes its probes and instance.
	 */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	(void)!write(release, "g", 1);
	close(release);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	uint64_t wall = now_ns() - t0;
	clock_gettime(CLOCK_REALTIME, &wall_end);
	st = tracefs_session_stop(s, err, sizeof(err));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "rme-bench trace record: %s failed (%s %d): no results written\n",
			o->argv[0], WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		tracefs_session_close(s);
		return 1;
	}
	if (tracefs_session_overruns(s))
		fprintf(stderr, "rme-bench trace record: WARNING: the ring buffer lost %llu events: "
				"faults are missing from the results (raise --buffer-kb)\n",
			(unsigned long long)tracefs_session_overruns(s));
	/* The guest's results exist now that CMD has ended. */
	struct guest_match gm;
	if (o->match_guest && (resolve_labels(o) || guest_match_load(o->match_guest, &gm))) {
		tracefs_session_close(s);
		return 2;
	}
	struct tracefs_corr *c = tracefs_corr_create(tracefs_session_plan(s), NULL, 0);
	if (c && o->match_guest)
		tracefs_corr_set_filter(c, guest_match_keep, &gm);
	if (!st && c)
		st = tracefs_session_collect(s, c, err, sizeof(err));
	if (st)
		fprintf(stderr, "rme-bench trace record: %s\n", err);
	else if (c)
		rc = write_results(o, c, o->match_guest ? &gm : NULL,
				   &(struct measured_host){ .start = wall_start }, tracefs_session_clock(s),
				   missing, notes,
				   tracefs_session_resolution_ns(s), tracefs_session_overruns(s), wall,
				   argc, argv);
	if (rc == 0 && o->keep_trace) {
		char path[4096], raw[4096], host[4096];
		snprintf(path, sizeof(path), "%s/kernel.trace", o->out);
		snprintf(raw, sizeof(raw), "%s/kernel.raw", o->out);
		/* The measured machine and times, for an ingest elsewhere. */
		snprintf(host, sizeof(host), "%s/kernel.host.json", o->out);
		if (tracefs_session_save(s, path, false, err, sizeof(err)) ||
		    tracefs_session_save(s, raw, true, err, sizeof(err)) ||
		    results_write_host_file(host, &wall_start, &wall_end, err, sizeof(err))) {
			fprintf(stderr, "rme-bench trace record: %s\n", err);
			rc = 1;
		}
	}
	tracefs_corr_destroy(c);
	tracefs_session_close(s);
	if (o->match_guest)
		guest_match_free(&gm);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2) {
		trace_usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	struct trace_opts o = { .vm = TRACEFS_VM_NORMAL };
	int r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r < 0 ? 0 : r;
	if (!strcmp(sub, "check"))
		return o.argc ? (trace_usage(stderr), 2) : trace_check(&o);
	if (strcmp(sub, "record") && strcmp(sub, "ingest")) {
		fprintf(stderr, "rme-bench trace: unknown subcommand '%s' (check, record, ingest)\n",
			sub);
		return 2;
	}
	/* record: the guest's results exist only once CMD has run. */
	if (!strcmp(sub, "ingest") && (r = resolve_labels(&o)))
		return r;
	if (!strcmp(sub, "record"))
		return trace_record(&o, argc, argv);
	return trace_ingest(&o, argc, argv);
}
