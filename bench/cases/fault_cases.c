/*
 * fault/<policy>/<pattern>/<page>: a host policy's whole stage-2 fault,
 * from the guest's exit to its re-entry, for every pattern and backing
 * page size the pattern accepts, through the sim harness (sim_run()).
 *
 * One iteration is one fresh VM (and RMM, for a realm) running the
 * pattern on fault_vcpus vCPUs with fault_size bytes each; its manual
 * time is the mean of that run's fault records' total_ns, i.e. the time
 * of one fault (VM creation and teardown are not timed). The counters
 * come from every fault record of every iteration:
 *   fault_p50_ns        median fault time
 *   faults              faults per run
 *   rmi_per_fault       RMI calls per fault (run phase, not REC_ENTER)
 *   <stage>_p50_ns      median time of the stage over the faults in
 *                       which it occurred (the rule of summary.json)
 * A configuration the harness or the policy cannot run ends as an error
 * whose message starts with "sim_run failed:"; no number is reported
 * for it.
 *
 * Each sim_run() runs in a forked child that sends its result back
 * through a pipe, so a configuration that livelocks or crashes in the
 * fault path is reported (killed after fault_timeout seconds) instead of
 * hanging or ending the whole suite.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "samples.h"
#include "kvm/policy.h"
#include "payload/pattern.h"
#include "harness/sim_harness.h"

struct fault_case {
	const struct kvm_policy *policy;
	const struct pattern *pattern;
	uint64_t page;
	const struct gbench_case_opts *o;
};

#define MAX_FAULT_CASES 128
static struct fault_case fault_cases[MAX_FAULT_CASES];
static struct gbench_case_opts fault_opts;

struct fault_acc {
	struct gbench_samples total;
	struct gbench_samples stage[STAGE_COUNT];
	uint64_t faults, rmi_calls, runs, missed, unexpected, dropped;
};

static void fault_acc_free(struct fault_acc *a)
{
	gbench_samples_free(&a->total);
	for (int s = 0; s < STAGE_COUNT; s++)
		gbench_samples_free(&a->stage[s]);
}

/* Adds one run's records; returns its mean ns per fault, or -1. */
static double fault_acc_add(struct fault_acc *a, const struct run_result *r)
{
	double sum = 0;

	for (size_t i = 0; i < r->n_faults; i++) {
		const struct fault_record *f = &r->faults[i];

		sum += (double)f->total_ns;
		if (gbench_samples_add(&a->total, (double)f->total_ns))
			return -1;
		for (int s = 0; s < STAGE_COUNT; s++)
			if (f->stage_ns[s] && gbench_samples_add(&a->stage[s], f->stage_ns[s]))
				return -1;
	}
	a->faults += r->n_faults;
	a->rmi_calls += r->rmi_calls;
	a->runs++;
	a->missed += r->missed_faults;
	a->unexpected += r->unexpected_exits;
	a->dropped += r->dropped_faults;
	return sum / (double)r->n_faults;
}

static void fault_report(struct gb_state *st, const struct fault_case *c, struct fault_acc *a)
{
	char name[64], label[256];

	if (!a->runs)
		return;
	gb_counter(st, "fault_p50_ns", gbench_median(a->total.v, a->total.n), GB_COUNTER_DEFAULT);
	gb_counter(st, "faults", (double)a->faults / (double)a->runs, GB_COUNTER_DEFAULT);
	gb_counter(st, "rmi_per_fault", (double)a->rmi_calls / (double)a->faults, GB_COUNTER_DEFAULT);
	for (int s = 0; s < STAGE_COUNT; s++) {
		if (!a->stage[s].n)
			continue;
		snprintf(name, sizeof(name), "%s_p50_ns", stage_name((enum stage)s));
		gb_counter(st, name, gbench_median(a->stage[s].v, a->stage[s].n), GB_COUNTER_DEFAULT);
	}
	if (a->missed || a->unexpected || a->dropped) {
		gb_counter(st, "missed_faults", (double)a->missed, GB_COUNTER_DEFAULT);
		gb_counter(st, "unexpected_exits", (double)a->unexpected, GB_COUNTER_DEFAULT);
		gb_counter(st, "dropped_records", (double)a->dropped, GB_COUNTER_DEFAULT);
	}
	snprintf(label, sizeof(label),
		 "sim-measured; RMI %s; policy %s; %llu KiB x %u vCPU; time = mean ns per fault "
		 "of each fresh run",
		 c->policy->vm == VM_REALM ? (c->policy->abi == RMI_ABI_1_0 ? "1.0" : "2.0") : "-",
		 c->policy->name, (unsigned long long)(c->o->fault_size >> 10), c->o->fault_vcpus);
	gb_set_label(st, label);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read len bytes before the deadline: 0, or -1 (EOF, error or timeout:
 * *timed_out says which). */
static int read_until(int fd, void *buf, size_t len, double deadline, bool *timed_out)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - now_s();
		int n;

		if (left <= 0) {
			*timed_out = true;
			return -1;
		}
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t got = read(fd, p, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		len -= (size_t)got;
	}
	return 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		p += n;
		len -= (size_t)n;
	}
}

/* sim_run() in a child process; same contract as sim_run(). */
static int sim_run_isolated(const struct run_config *cfg, struct run_result *r,
			    double timeout_s)
{
	int fds[2], ret = -1, status;
	bool timed_out = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds)) {
		snprintf(r->error, sizeof(r->error), "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(r->error, sizeof(r->error), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		struct run_result cr;
		int cret;

		close(fds[0]);
		/* Test hook: a run that never finishes (tests/gbench). */
		if (getenv("RMEB_GBENCH_TEST_HANG"))
			for (;;)
				pause();
		cret = sim_run(cfg, &cr);
		write_all(fds[1], &cret, sizeof(cret));
		write_all(fds[1], &cr, sizeof(cr));
		if (!cret && cr.n_faults)
			write_all(fds[1], cr.faults, cr.n_faults * sizeof(*cr.faults));
		_exit(0);
	}
	close(fds[1]);
	double deadline = now_s() + timeout_s;
	if (!read_until(fds[0], &ret, sizeof(ret), deadline, &timed_out) &&
	    !read_until(fds[0], r, sizeof(*r), deadline, &timed_out)) {
		r->faults = NULL;
		if (!ret && r->n_faults) {
			r->faults = malloc(r->n_faults * sizeof(*r->faults));
			if (!r->faults || read_until(fds[0], r->faults,
						     r->n_faults * sizeof(*r->faults), deadline,
						     &timed_out)) {
				free(r->faults);
				r->faults = NULL;
				r->n_faults = 0;
				ret = -1;
			}
		}
	} else {
		ret = -1;
		r->faults = NULL;
		r->n_faults = 0;
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		snprintf(r->error, sizeof(r->error), "no result after %g s: killed (a livelock "
			 "in the fault path?)", timeout_s);
	else if (WIFSIGNALED(status))
		snprintf(r->error, sizeof(r->error), "the run died of signal %d", WTERMSIG(status));
	else if (ret && !r->error[0] && WIFEXITED(status) && WEXITSTATUS(status))
		snprintf(r->error, sizeof(r->error), "the run exited with status %d before "
			 "reporting (a sanitizer report on stderr?)", WEXITSTATUS(status));
	else if (ret && !r->error[0])
		snprintf(r->error, sizeof(r->error), "the run's result could not be read back");
	if ((timed_out || WIFSIGNALED(status)) && r->faults) {
		free(r->faults);
		r->faults = NULL;
		r->n_faults = 0;
	}
	return timed_out || WIFSIGNALED(status) ? -1 : ret;
}

static void fault_case_run(struct gb_state *st)
{
	const struct fault_case *c = gb_user(st);
	struct fault_acc acc = { 0 };
	uint64_t seed = 1;

	while (gb_keep_running(st)) {
		struct run_config cfg = {
			.vm = c->policy->vm,
			.policy = c->policy,
			.pattern = c->pattern,
			.size = c->o->fault_size,
			.page = c->page,
			.vcpus = c->o->fault_vcpus,
			.seed = seed++,
			.stage_timing = true,
		};
		struct run_result r;
		char msg[300];
		double mean;

		if (sim_run_isolated(&cfg, &r, c->o->fault_timeout) || r.error[0]) {
			/* sim_run frees its result on failure; a run that
			 * finished with an error message still holds one */
			snprintf(msg, sizeof(msg), "sim_run failed: %s", r.error);
			run_result_free(&r);
			gb_skip_with_error(st, msg);
			break;
		}
		if (!r.n_faults) {
			run_result_free(&r);
			gb_skip_with_error(st, "sim_run failed: no fault was recorded");
			break;
		}
		mean = fault_acc_add(&acc, &r);
		run_result_free(&r);
		if (mean < 0) {
			gb_skip_with_error(st, "out of memory");
			break;
		}
		gb_set_iteration_time(st, mean * 1e-9);
	}
	fault_report(st, c, &acc);
	fault_acc_free(&acc);
}

int fault_cases_register(const struct gbench_case_opts *o)
{
	static const uint64_t pages[] = { PATTERN_SZ_4K, PATTERN_SZ_2M };
	const struct kvm_policy *pol;
	size_t n = 0;

	fault_opts = *o;
	for (size_t pi = 0; (pol = kvm_policy_at(pi)); pi++) {
		const struct pattern *pat;

		if ((o->policy && strcmp(o->policy, pol->name)) ||
		    (o->abi >= 0 && pol->vm == VM_REALM && (int)pol->abi != o->abi))
			continue;
		for (size_t ti = 0; (pat = pattern_at(ti)); ti++) {
			for (size_t gi = 0; gi < 2; gi++) {
				char name[96];

				if (pat->needs_2m && pages[gi] != PATTERN_SZ_2M)
					continue;
				if (n == MAX_FAULT_CASES) {
					fprintf(stderr, "gbench: more fault cases than %d\n",
						MAX_FAULT_CASES);
					return -1;
				}
				fault_cases[n] = (struct fault_case){ pol, pat, pages[gi], &fault_opts };
				snprintf(name, sizeof(name), "fault/%s/%s/%s", pol->name, pat->name,
					 pages[gi] == PATTERN_SZ_4K ? "4K" : "2M");
				struct gb_bench *b = gb_register(name, fault_case_run, &fault_cases[n++]);
				if (!b || gb_use_manual_time(b) || gb_unit(b, GB_UNIT_NS) ||
				    gb_iterations(b, o->fault_runs))
					return -1;
			}
		}
	}
	return 0;
}
