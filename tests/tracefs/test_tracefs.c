/*
 * tracefs ingestion: the trace-format parser, the per-vCPU correlator on
 * hand-written traces in the kernel's format (fixtures/), the probe plan
 * and the error paths of a session on a fake tracefs root (a plain
 * directory: no kernel involved, so this runs anywhere).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tracefs/tracefs.h"

#ifndef FIXTURES
#error FIXTURES must name the fixtures directory
#endif

static char tmp_root[256];

static void put_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *dir, const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static char *slurp(const char *dir, const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	if (buf)
		(void)!fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static const char normal_syms[] =
	"ffff800008123000 T kvm_handle_guest_abort\n"
	"ffff800008124000 T gfn_to_memslot\n"
	"ffff800008125000 T __gfn_to_pfn_memslot\n"
	"ffff800008126000 T kvm_pgtable_stage2_map\n"
	"ffff800008127000 T kvm_pgtable_stage2_relax_perms\n"
	"ffff800008128000 d user_mem_abort_data\n";

static const char realm_syms[] =
	"0000000000000000 T kvm_handle_guest_abort\n"
	"0000000000000000 T gfn_to_memslot\n"
	"0000000000000000 t user_mem_abort.isra.0\n"
	"0000000000000000 T __kvm_faultin_pfn\n"
	"0000000000000000 t realm_map_protected\n"
	"0000000000000000 t realm_map_non_secure\n"
	"0000000000000000 t realm_create_rtt_levels\n"
	"0000000000000000 t fold_rtt\n"
	"0000000000000000 t rec_exit_ripas_change\n";

/* A fake tracefs: the files and directories the plan looks at. */
static void make_root(const char *root, bool kprobes, bool entry_tp, bool exit_tp)
{
	put_dir(root, "");
	put_file(root, "trace", "");
	if (kprobes)
		put_file(root, "kprobe_events", "");
	put_dir(root, "instances");
	put_dir(root, "events");
	put_dir(root, "events/kvm");
	if (entry_tp)
		put_dir(root, "events/kvm/kvm_entry");
	if (exit_tp)
		put_dir(root, "events/kvm/kvm_exit");
	put_dir(root, "events/kvm/kvm_guest_fault");
}

static void plan_from(const char *syms, enum tracefs_vm vm, struct tracefs_plan *plan)
{
	char root[300], err[256] = "";
	snprintf(root, sizeof(root), "%s/plan", tmp_root);
	make_root(root, true, true, true);
	put_file(tmp_root, "kallsyms", syms);
	char ks[300];
	snprintf(ks, sizeof(ks), "%s/kallsyms", tmp_root);
	enum tracefs_status st = tracefs_plan(root, ks, vm, plan, err, sizeof(err));
	if (st)
		fprintf(stderr, "plan: %s\n", err);
	CHECK(st == TRACEFS_OK);
}

static void test_parse_line(void)
{
	struct tracefs_event ev;
	const char *l1 = "       rme-bench-4242    [001] d..1.   100.000010: kvm_exit: TRAP: x\n";
	CHECK(tracefs_parse_line(l1, &ev) == TRACEFS_LINE_EVENT);
	CHECK_EQ_U64(ev.pid, 4242);
	CHECK_EQ_U64(ev.cpu, 1);
	CHECK_EQ_U64(ev.ts_ns, 100000010000ull);
	CHECK(!strcmp(ev.name, "kvm_exit"));
	CHECK(!strncmp(ev.body, "TRAP: x", 7));
	CHECK(ev.comm_len == 9 && !strncmp(ev.comm, "rme-bench", 9));

	/* Spaces and dashes in the comm, a tgid column, no flags column. */
	const char *l2 = " my vcpu-thread-77 (   70) [012] 5.5: rmeb_abort: (x+0x0/0x8)";
	CHECK(tracefs_parse_line(l2, &ev) == TRACEFS_LINE_EVENT);
	CHECK_EQ_U64(ev.pid, 77);
	CHECK_EQ_U64(ev.cpu, 12);
	CHECK_EQ_U64(ev.ts_ns, 5500000000ull);
	CHECK(ev.comm_len == 14 && !strncmp(ev.comm, "my vcpu-thread", 14));
	CHECK(!strcmp(ev.name, "rmeb_abort"));

	/* An event with no body, nanosecond digits, a counter clock. */
	CHECK(tracefs_parse_line("a-1 [000] 1.123456789: e:", &ev) == TRACEFS_LINE_EVENT);
	CHECK_EQ_U64(ev.ts_ns, 1123456789ull);
	CHECK(ev.body[0] == '\0');
	CHECK(tracefs_parse_line("a-1 [000] 42: e: x", &ev) == TRACEFS_LINE_EVENT);
	CHECK_EQ_U64(ev.ts_ns, 42);

	CHECK(tracefs_parse_line("# tracer: nop\n", &ev) == TRACEFS_LINE_SKIP);
	CHECK(tracefs_parse_line("   \n", &ev) == TRACEFS_LINE_SKIP);
	CHECK(tracefs_parse_line("CPU:3 [LOST 12 EVENTS]\n", &ev) == TRACEFS_LINE_LOST);
	CHECK(tracefs_parse_line("hello world\n", &ev) == TRACEFS_LINE_BAD);
	CHECK(tracefs_parse_line("a-1 [000] d... nots: e: x", &ev) == TRACEFS_LINE_BAD);
	CHECK(tracefs_parse_line("nopid [000] 1.0: e: x", &ev) == TRACEFS_LINE_BAD);
	CHECK(tracefs_parse_line("a-1 [000] 1.0: no-colon-name x", &ev) == TRACEFS_LINE_BAD);
	CHECK(tracefs_parse_line("a-1 [x] 1.0: e: x", &ev) == TRACEFS_LINE_BAD);
}

static struct tracefs_corr *feed(const struct tracefs_plan *plan, const char *fixture,
				 const pid_t *tids, size_t n_tids)
{
	struct tracefs_corr *c = tracefs_corr_create(plan, tids, n_tids);
	CHECK(c != NULL);
	if (!c)
		return NULL;
	char path[512], err[256] = "";
	snprintf(path, sizeof(path), "%s/%s", FIXTURES, fixture);
	enum tracefs_status st = tracefs_corr_feed_file(c, path, err, sizeof(err));
	if (st)
		fprintf(stderr, "feed %s: %s\n", fixture, err);
	CHECK(st == TRACEFS_OK);
	return c;
}

#define US 1000u

static void test_normal_one_vcpu(void)
{
	struct tracefs_plan plan;
	plan_from(normal_syms, TRACEFS_VM_NORMAL, &plan);
	pid_t tids[] = { 4242 };
	struct tracefs_corr *c = feed(&plan, "normal_1vcpu.trace", tids, 1);
	if (!c)
		return;
	const struct tracefs_corr_stats *st = tracefs_corr_stats(c);
	CHECK_EQ_U64(st->faults, 3);
	CHECK_EQ_U64(st->other_exits, 2); /* MMIO-like abort, IRQ */
	CHECK_EQ_U64(st->unbalanced, 0);
	CHECK_EQ_U64(st->foreign_threads, 1); /* the kworker */
	CHECK_EQ_U64(st->bad_lines, 0);
	CHECK_EQ_U64(tracefs_corr_vcpus(c), 1);
	struct fault_log *log = tracefs_corr_log(c, 0);
	CHECK(log && fault_log_count(log) == 3);
	if (!log || fault_log_count(log) != 3)
		goto out;

	const struct fault_record *r = fault_log_get(log, 0);
	CHECK_EQ_U64(r->ipa, 0x80000000);
	CHECK_EQ_U64(r->kind, FAULT_NORMAL);
	CHECK_EQ_U64(r->level, 3);
	CHECK_EQ_U64(r->total_ns, 30 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_EXIT_DECODE], 3 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_ABORT_DISPATCH], 8 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_MEMSLOT_LOOKUP], 1 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_PAGE_PIN], 10 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_S2_MAP], 4 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_REC_ENTER], 4 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_UNATTRIBUTED], 0);
	CHECK_EQ_U64(r->stage_ns[STAGE_REC_EXIT], 0);

	r = fault_log_get(log, 1); /* 2 MiB, no kvm_guest_fault: IPA from the map */
	CHECK_EQ_U64(r->ipa, 0x80200000);
	CHECK_EQ_U64(r->level, 2);
	CHECK_EQ_U64(r->total_ns, 70 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_ABORT_DISPATCH], 3 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_PAGE_PIN], 48 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_S2_MAP], 10 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_REC_ENTER], 8 * US);

	r = fault_log_get(log, 2); /* permission fault: relax in place */
	CHECK_EQ_U64(r->kind, FAULT_PERM);
	CHECK_EQ_U64(r->total_ns, 6 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_S2_MAP], 2 * US);
out:
	tracefs_corr_destroy(c);
}

static void test_two_vcpus(void)
{
	struct tracefs_plan plan;
	plan_from(normal_syms, TRACEFS_VM_NORMAL, &plan);
	pid_t tids[] = { 4243, 4244 };
	struct tracefs_corr *c = feed(&plan, "two_vcpus.trace", tids, 2);
	if (!c)
		return;
	const struct tracefs_corr_stats *st = tracefs_corr_stats(c);
	CHECK_EQ_U64(st->lost_lines, 1);
	/* lost events in an open span, a return without call, exit without entry */
	CHECK_EQ_U64(st->unbalanced, 3);
	CHECK_EQ_U64(st->faults, 3);
	struct fault_log *a = tracefs_corr_log(c, 0), *b = tracefs_corr_log(c, 1);
	CHECK(a && b);
	if (a && b) {
		CHECK_EQ_U64(fault_log_count(a), 2);
		CHECK_EQ_U64(fault_log_count(b), 1);
		const struct fault_record *r = fault_log_get(b, 0);
		CHECK(r && r->vcpu == 1 && r->ipa == 0x90001000 && r->total_ns == 10 * US);
		r = fault_log_get(a, 1);
		CHECK(r && r->vcpu == 0 && r->ipa == 0x80001000 && r->total_ns == 10 * US);
		CHECK(r && r->stage_ns[STAGE_S2_MAP] == 3 * US &&
		      r->stage_ns[STAGE_ABORT_DISPATCH] == 3 * US);
	}
	tracefs_corr_destroy(c);

	/* Ingest mode: vCPUs are numbered by first exit, in trace order. */
	c = feed(&plan, "two_vcpus.trace", NULL, 0);
	if (!c)
		return;
	CHECK_EQ_U64(tracefs_corr_vcpus(c), 2);
	CHECK_EQ_U64(fault_log_count(tracefs_corr_log(c, 0)), 2); /* 4243 exits first */
	tracefs_corr_destroy(c);
}

static void test_realm(void)
{
	struct tracefs_plan plan;
	plan_from(realm_syms, TRACEFS_VM_REALM, &plan);
	char missing[256];
	tracefs_plan_missing(&plan, missing, sizeof(missing));
	CHECK(!strcmp(missing, "")); /* all found, via alternatives and clones */
	struct tracefs_corr *c = feed(&plan, "realm.trace", NULL, 0);
	if (!c)
		return;
	CHECK_EQ_U64(tracefs_corr_stats(c)->faults, 4);
	struct fault_log *log = tracefs_corr_log(c, 0);
	CHECK(log && fault_log_count(log) == 4);
	if (!log || fault_log_count(log) != 4)
		goto out;
	const struct fault_record *r = fault_log_get(log, 0);
	CHECK_EQ_U64(r->kind, FAULT_PROTECTED);
	CHECK_EQ_U64(r->ipa, 0x1000);
	CHECK_EQ_U64(r->level, 3);
	CHECK_EQ_U64(r->total_ns, 40 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_EXIT_DECODE], 2 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_ABORT_DISPATCH], 2 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_PAGE_PIN], 9 * US); /* uma self + pin */
	CHECK_EQ_U64(r->stage_ns[STAGE_DATA_CREATE], 11 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_RTT_CREATE], 8 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_REC_ENTER], 8 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_UNATTRIBUTED], 0);

	r = fault_log_get(log, 1);
	CHECK_EQ_U64(r->level, 2);
	CHECK_EQ_U64(r->stage_ns[STAGE_RTT_FOLD], 2 * US);
	CHECK_EQ_U64(r->stage_ns[STAGE_DATA_CREATE], 56 * US);

	r = fault_log_get(log, 2);
	CHECK_EQ_U64(r->kind, FAULT_UNPROTECTED);
	CHECK_EQ_U64(r->stage_ns[STAGE_UNPROT_MAP], 4 * US);

	r = fault_log_get(log, 3);
	CHECK_EQ_U64(r->kind, FAULT_RIPAS_CHANGE);
	CHECK_EQ_U64(r->stage_ns[STAGE_SET_RIPAS], 39 * US);
	CHECK_EQ_U64(r->total_ns, 45 * US);
out:
	tracefs_corr_destroy(c);
}

/* RMI calls from the SMC site probes, on an excerpt of a trace recorded on
 * a real CCA host (realm_v14.trace): per fault, and by function ID. */
static void test_realm_rmi_calls(void)
{
	struct tracefs_plan plan;
	tracefs_plan_assume_all(TRACEFS_VM_REALM, &plan);
	struct tracefs_corr *c = feed(&plan, "realm_v14.trace", NULL, 0);
	if (!c)
		return;
	static const uint32_t want_calls[] = { 5, 1, 2, 2, 2 };
	static const uint8_t want_kind[] = { FAULT_PROTECTED, FAULT_UNPROTECTED, FAULT_PROTECTED,
					     FAULT_PROTECTED, FAULT_PROTECTED };
	struct fault_log *log = tracefs_corr_log(c, 0);
	CHECK(log && fault_log_count(log) == 5);
	for (size_t i = 0; log && i < 5 && i < fault_log_count(log); i++) {
		const struct fault_record *r = fault_log_get(log, i);
		CHECK_EQ_U64(r->rmi_calls, want_calls[i]);
		CHECK_EQ_U64(r->kind, want_kind[i]);
	}
	const uint64_t *n = tracefs_corr_rmi_counts(c);
	CHECK_EQ_U64(n[0xC40001F1 - TRACEFS_RMI_FID_BASE], 5); /* GRANULE_RANGE_DELEGATE */
	CHECK_EQ_U64(n[0xC40001F5 - TRACEFS_RMI_FID_BASE], 5); /* RTT_DATA_MAP */
	CHECK_EQ_U64(n[0xC400015D - TRACEFS_RMI_FID_BASE], 1); /* RTT_CREATE */
	CHECK_EQ_U64(n[0xC40001FB - TRACEFS_RMI_FID_BASE], 1); /* RTT_UNPROT_MAP */
	CHECK_EQ_U64(tracefs_corr_stats(c)->smc_in_faults, 12);
	CHECK_EQ_U64(tracefs_corr_stats(c)->smc_foreign_fid, 0);
	tracefs_corr_destroy(c);
}

static uint64_t sum_counts(const uint64_t *n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < TRACEFS_RMI_FIDS; i++)
		sum += n[i];
	return sum;
}

static uint64_t sum_rmi_calls(const struct tracefs_corr *c)
{
	uint64_t sum = 0;
	for (size_t v = 0; v < tracefs_corr_vcpus(c); v++) {
		const struct fault_log *log = tracefs_corr_log(c, v);
		for (size_t i = 0; i < fault_log_count(log); i++)
			sum += fault_log_get(log, i)->rmi_calls;
	}
	return sum;
}

/* Keep faults whose IPA is not 0x42001000 (and, with it, count them). */
static bool keep_not_42001000(void *ctx, const struct fault_record *r)
{
	(void)ctx;
	return (r->ipa & ~0xfffull) != 0x42001000;
}

/* RMI calls outside fault spans are kept and counted apart; a RIPAS
 * change's completion joins its record; a filter's dropped faults keep
 * their calls apart too: the kept counts add up to the kept rmi_calls. */
static void test_realm_rmi_calls_elsewhere(bool filter)
{
	struct tracefs_plan plan;
	tracefs_plan_assume_all(TRACEFS_VM_REALM, &plan);
	struct tracefs_corr *c = tracefs_corr_create(&plan, NULL, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	if (filter)
		tracefs_corr_set_filter(c, keep_not_42001000, NULL);
	char path[512], err[256] = "";
	snprintf(path, sizeof(path), "%s/realm_v14.trace", FIXTURES);
	CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_OK);
	snprintf(path, sizeof(path), "%s/realm_v14_other_spans.trace", FIXTURES);
	CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_OK);
	const struct tracefs_corr_stats *st = tracefs_corr_stats(c);
	const uint64_t *out = tracefs_corr_rmi_counts_outside(c);
	CHECK_EQ_U64(st->smc_elsewhere, 2);
	CHECK_EQ_U64(out[0xC40001F6 - TRACEFS_RMI_FID_BASE], 1); /* RTT_DATA_UNMAP */
	CHECK_EQ_U64(out[0xC40001F2 - TRACEFS_RMI_FID_BASE], 1); /* GRANULE_RANGE_UNDELEGATE */
	CHECK_EQ_U64(sum_counts(out), 2);
	CHECK_EQ_U64(st->smc_joined_ripas, 1);
	CHECK_EQ_U64(st->faults, filter ? 5 : 6);
	CHECK_EQ_U64(st->filtered, filter ? 1 : 0);
	CHECK_EQ_U64(st->smc_filtered, filter ? 2 : 0); /* 0x42001000: DELEGATE + DATA_MAP */
	CHECK_EQ_U64(st->smc_in_faults, filter ? 11 : 13);
	CHECK_EQ_U64(sum_counts(tracefs_corr_rmi_counts(c)), st->smc_in_faults);
	CHECK_EQ_U64(sum_counts(tracefs_corr_rmi_counts_filtered(c)), st->smc_filtered);
	CHECK_EQ_U64(sum_rmi_calls(c), st->smc_in_faults);
	CHECK_EQ_U64(tracefs_corr_rmi_counts(c)[0xC4000169 - TRACEFS_RMI_FID_BASE], 1);
	struct fault_log *log = tracefs_corr_log(c, 0);
	const struct fault_record *last = log ? fault_log_get(log, fault_log_count(log) - 1) : NULL;
	CHECK(last && last->kind == FAULT_RIPAS_CHANGE && last->rmi_calls == 1);
	tracefs_corr_destroy(c);
}

/* Site files: SYMBOL+0xOFF with an optional constant FID; anything else is
 * refused with the line named. */
static void test_smc_sites(void)
{
	char dir[] = "/tmp/rmeb-sites-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct tracefs_plan plan;
	char err[256];
	put_file(dir, "ok", "# comment\nrmi_delegate_range+0x80\nrealm_rtt_create+0xf8 0xc400015d\n");
	put_file(dir, "bad1", "rmi_delegate_range\n");
	put_file(dir, "bad2", "f+0x10 0x12\n");       /* not an RMI function ID */
	put_file(dir, "bad3", "f+0x1g\n");
	put_file(dir, "empty", "# nothing\n");
	char path[300];
	memset(&plan, 0, sizeof(plan));
	snprintf(path, sizeof(path), "%s/ok", dir);
	CHECK(tracefs_plan_load_smc_sites(&plan, path, err, sizeof(err)) == TRACEFS_OK);
	CHECK_EQ_U64(plan.n_smc_sites, 2);
	CHECK_EQ_U64(plan.smc_fid[0], 0);
	CHECK_EQ_U64(plan.smc_fid[1], 0xc400015d);
	CHECK(!strcmp(plan.smc_sites[1], "realm_rtt_create+0xf8"));
	static const char *const bad[] = { "bad1", "bad2", "bad3", "empty" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bad[i]);
		CHECK(tracefs_plan_load_smc_sites(&plan, path, err, sizeof(err)) == TRACEFS_EPARSE);
	}
	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK(tracefs_plan_load_smc_sites(&plan, path, err, sizeof(err)) == TRACEFS_EIO);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* The raw read's nanosecond timestamps replace the text's microseconds. */
static void test_ns_timestamps(void)
{
	struct tracefs_raw_ts r;
	CHECK(tracefs_parse_raw_line("117 1 14144246944 type: 1207\n", &r));
	CHECK(r.pid == 117 && r.cpu == 1 && r.ts_ns == 14144246944ull);
	CHECK(!tracefs_parse_raw_line("# comment\n", &r));
	CHECK(!tracefs_parse_raw_line("117 1 14.144247: kvm_exit: x\n", &r));
	CHECK(!tracefs_parse_raw_line("CPU:1 [LOST 3 EVENTS]\n", &r));

	char path[512], line[256];
	snprintf(path, sizeof(path), "%s/normal_1vcpu.raw", FIXTURES);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	struct tracefs_raw_ts ts[64];
	size_t n = 0;
	while (n < 64 && fgets(line, sizeof(line), f))
		if (tracefs_parse_raw_line(line, &ts[n]))
			n++;
	fclose(f);
	CHECK_EQ_U64(n, 34);

	struct tracefs_plan plan;
	plan_from(normal_syms, TRACEFS_VM_NORMAL, &plan);
	pid_t tids[] = { 4242 };
	struct tracefs_corr *c = tracefs_corr_create(&plan, tids, 1);
	CHECK(c != NULL);
	if (!c)
		return;
	tracefs_corr_use_ns(c, ts, n);
	char err[256];
	snprintf(path, sizeof(path), "%s/normal_1vcpu.trace", FIXTURES);
	CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_OK);
	CHECK_EQ_U64(tracefs_corr_stats(c)->ns_events, 34);
	CHECK_EQ_U64(tracefs_corr_stats(c)->ns_mismatches, 0);
	const struct fault_record *rec = fault_log_get(tracefs_corr_log(c, 0), 0);
	CHECK(rec != NULL);
	if (rec) {
		CHECK_EQ_U64(rec->total_ns, 30110);
		CHECK_EQ_U64(rec->stage_ns[STAGE_S2_MAP], 4010);
	}
	tracefs_corr_destroy(c);

	/* An entry that belongs to another thread is not applied. */
	ts[0].pid = 1;
	c = tracefs_corr_create(&plan, tids, 1);
	CHECK(c != NULL);
	if (!c)
		return;
	tracefs_corr_use_ns(c, ts, n);
	CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_OK);
	CHECK_EQ_U64(tracefs_corr_stats(c)->ns_mismatches, 1);
	tracefs_corr_destroy(c);
}

static enum tracefs_status plan_at(const char *root, const char *syms, enum tracefs_vm vm,
				   char *err, size_t err_len)
{
	struct tracefs_plan plan;
	char ks[300];
	put_file(tmp_root, "kallsyms", syms);
	snprintf(ks, sizeof(ks), "%s/kallsyms", tmp_root);
	return tracefs_plan(root, ks, vm, &plan, err, err_len);
}

static void test_plan_errors(void)
{
	char root[300], err[512];
	snprintf(root, sizeof(root), "%s/nowhere", tmp_root);
	CHECK(plan_at(root, normal_syms, TRACEFS_VM_NORMAL, err, sizeof(err)) ==
	      TRACEFS_ENOTRACEFS);
	CHECK(strstr(err, root) != NULL);
	CHECK_EQ_U64(tracefs_exit_code(TRACEFS_ENOTRACEFS), 1);

	snprintf(root, sizeof(root), "%s/nokprobes", tmp_root);
	make_root(root, false, true, true);
	CHECK(plan_at(root, normal_syms, TRACEFS_VM_NORMAL, err, sizeof(err)) ==
	      TRACEFS_ENOKPROBES);
	CHECK(strstr(err, "kprobe_events") != NULL);

	snprintf(root, sizeof(root), "%s/noentry", tmp_root);
	make_root(root, true, false, true);
	CHECK(plan_at(root, normal_syms, TRACEFS_VM_NORMAL, err, sizeof(err)) ==
	      TRACEFS_ENOTRACEPOINT);
	CHECK(strstr(err, "kvm:kvm_entry") != NULL);

	snprintf(root, sizeof(root), "%s/ok", tmp_root);
	make_root(root, true, true, true);
	/* The abort handler is required. */
	CHECK(plan_at(root, "0 T kvm_pgtable_stage2_map\n", TRACEFS_VM_NORMAL, err, sizeof(err)) ==
	      TRACEFS_ENOSYMBOL);
	CHECK(strstr(err, "kvm_handle_guest_abort") != NULL);
	/* A realm kernel without any realm mapping function. */
	CHECK(plan_at(root, normal_syms, TRACEFS_VM_REALM, err, sizeof(err)) == TRACEFS_ENOSYMBOL);
	CHECK(strstr(err, "realm_map_protected") != NULL);
	/* A data symbol of a similar name is not a function. */
	struct tracefs_plan plan;
	plan_from(normal_syms, TRACEFS_VM_NORMAL, &plan);
	char missing[256], desc[2048];
	tracefs_plan_missing(&plan, missing, sizeof(missing));
	CHECK(!strcmp(missing, "user_mem_abort"));
	tracefs_plan_describe(&plan, desc, sizeof(desc));
	CHECK(strstr(desc, "MISSING (wanted user_mem_abort)") != NULL);
	CHECK(strstr(desc, "<- kvm_pgtable_stage2_map") != NULL);
	char notes[512];
	tracefs_plan_notes(&plan, notes, sizeof(notes));
	CHECK(strstr(notes, "user_mem_abort is not probeable") != NULL);
	struct tracefs_plan all;
	tracefs_plan_assume_all(TRACEFS_VM_REALM, &all);
	tracefs_plan_notes(&all, notes, sizeof(notes));
	CHECK(notes[0] == '\0');
	CHECK(!strcmp(all.probes[all.n_probes - 2].symbol, "realm_rtt_fold"));

	/* Trace text that is not a trace, and a file that is not there. */
	struct tracefs_corr *c = tracefs_corr_create(&plan, NULL, 0);
	CHECK(c != NULL);
	if (c) {
		put_file(tmp_root, "notatrace", "hello\nworld\n");
		char path[300];
		snprintf(path, sizeof(path), "%s/notatrace", tmp_root);
		CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_EPARSE);
		snprintf(path, sizeof(path), "%s/absent", tmp_root);
		CHECK(tracefs_corr_feed_file(c, path, err, sizeof(err)) == TRACEFS_EIO);
		tracefs_corr_destroy(c);
	}
}

static void test_session_on_fake_root(void)
{
	char root[300], ks[300], err[512];
	snprintf(root, sizeof(root), "%s/session", tmp_root);
	make_root(root, true, true, true);
	put_file(tmp_root, "kallsyms", normal_syms);
	snprintf(ks, sizeof(ks), "%s/kallsyms", tmp_root);
	struct tracefs_session_opts opts = { .root = root, .kallsyms = ks,
					     .vm = TRACEFS_VM_NORMAL, .tag = "t1" };
	struct tracefs_session *s = (void *)1;

	/*
	 * A directory is not a kernel: the instance gets no control files,
	 * so open fails after creating the probes; everything it made must
	 * be gone again.
	 */
	CHECK(tracefs_session_open(&opts, &s, err, sizeof(err)) == TRACEFS_EIO);
	CHECK(s == NULL);
	CHECK(strstr(err, "instances/rmeb_t1") != NULL);
	char inst[400];
	snprintf(inst, sizeof(inst), "%s/instances/rmeb_t1", root);
	CHECK(access(inst, F_OK) != 0);
	char *k = slurp(root, "kprobe_events");
	CHECK(k != NULL);
	if (k) {
		CHECK(strstr(k, "p:rmeb_t1/rmeb_abort kvm_handle_guest_abort\n") != NULL);
		CHECK(strstr(k, "r32:rmeb_t1/rmeb_abort_ret kvm_handle_guest_abort\n") != NULL);
		CHECK(strstr(k, "-:rmeb_t1/rmeb_abort\n") != NULL);
		CHECK(strstr(k, "-:rmeb_t1/rmeb_abort_ret\n") != NULL);
		CHECK(strstr(k, "-:rmeb_t1/rmeb_s2map\n") != NULL);
		CHECK(strstr(k, "user_mem_abort") == NULL); /* missing: never probed */
		free(k);
	}

	/* A group of that name exists already: refuse, touch nothing. */
	put_file(root, "kprobe_events", "");
	put_dir(root, "events/rmeb_t1");
	CHECK(tracefs_session_open(&opts, &s, err, sizeof(err)) == TRACEFS_EBUSY);
	CHECK(strstr(err, "rmeb_t1") != NULL);
	k = slurp(root, "kprobe_events");
	CHECK(k && k[0] == '\0');
	free(k);

	/* RMEB_TRACEFS names the root. */
	setenv("RMEB_TRACEFS", root, 1);
	char found[300];
	CHECK(tracefs_find_root(found, sizeof(found), err, sizeof(err)) == TRACEFS_OK);
	CHECK(!strcmp(found, root));
	unsetenv("RMEB_TRACEFS");
	tracefs_session_close(NULL);
}

int main(void)
{
	test_realm_rmi_calls();
	test_realm_rmi_calls_elsewhere(false);
	test_realm_rmi_calls_elsewhere(true);
	test_smc_sites();
	snprintf(tmp_root, sizeof(tmp_root), "%s/rmeb-tracefs-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse_line();
	test_normal_one_vcpu();
	test_two_vcpus();
	test_realm();
	test_ns_timestamps();
	test_plan_errors();
	test_session_on_fake_root();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmp_root);
	return check_report("tracefs");
}
