/*
 * The sim payload runtime driven by a fake CPU model: a host that maps one
 * backing page per fault, applies RIPAS changes a bounded step at a time
 * (so the runtime has to re-issue the rest) and gives EMPTY pages up.
 * Checks the operations the runtime produces (IPAs, alias bit, ranges),
 * its counters and timestamps against what the fake saw, and its
 * handling of host refusals and bad layouts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <abi/rmi.h>
#include <abi/rsi.h>
#include <payload/sim_runtime.h>

#include "check.h"

#define K4 PATTERN_SZ_4K
#define M2 PATTERN_SZ_2M
#define RAM_BASE (1ULL << 30)
#define ALIAS_BIT (1ULL << 39)

enum fake_misbehaviour {
	FAKE_GOOD,
	FAKE_REJECT,        /* answers IPA_STATE_SET with RSI_REJECT */
	FAKE_NO_PROGRESS,   /* next_base == base */
	FAKE_RSI_ERROR,     /* rsi_status RSI_ERROR_INPUT */
	FAKE_SEA_ALWAYS,    /* every access ends in an SEA */
};

struct fake_cpu {
	uint64_t page;             /* backing page */
	uint64_t ripas_step;       /* bytes of RIPAS change per exit */
	enum fake_misbehaviour mode;
	uint64_t ram_size;
	bool *prot_mapped, *shared_mapped, *ripas_empty;  /* per 4 KiB page */
	/* What the fake saw. */
	uint64_t faults, ripas_exits, ripas_bytes, accesses, alias_accesses, outside;
	uint64_t stamps_out_of_order;
};

static void fake_init(struct fake_cpu *f, uint64_t ram_size, uint64_t page)
{
	uint64_t pages = ram_size / K4;

	*f = (struct fake_cpu){ .page = page, .ripas_step = 3 * M2 / 2, .ram_size = ram_size };
	f->prot_mapped = calloc(pages, sizeof(bool));
	f->shared_mapped = calloc(pages, sizeof(bool));
	f->ripas_empty = calloc(pages, sizeof(bool));
}

static void fake_free(struct fake_cpu *f)
{
	free(f->prot_mapped);
	free(f->shared_mapped);
	free(f->ripas_empty);
}

static void fake_access(struct fake_cpu *f, struct sim_payload *sp, const struct sim_gop *op)
{
	struct sim_guest g = sim_payload_guest(sp);
	bool shared = op->ipa & ALIAS_BIT;
	uint64_t off = (op->ipa & ~ALIAS_BIT) - RAM_BASE;

	if (op->ipa < RAM_BASE || off >= f->ram_size || off % K4) {
		f->outside++;
		g.ops->complete(g.ctx, &(struct sim_gop_result){ .outcome = SIM_GOP_DONE });
		return;
	}
	bool *mapped = shared ? f->shared_mapped : f->prot_mapped;
	uint64_t pg = off / K4;

	if (!mapped[pg]) {
		/* A stage-2 fault: the host maps the backing page, the CPU
		 * model re-runs the access on the next entry. */
		g.ops->exited(g.ctx, RMI_EXIT_SYNC);
		f->faults++;
		uint64_t first = pg - pg % (f->page / K4);

		for (uint64_t j = first; j < first + f->page / K4; j++)
			mapped[j] = true;
		return;
	}
	f->accesses++;
	f->alias_accesses += shared;
	bool sea = f->mode == FAKE_SEA_ALWAYS || (!shared && f->ripas_empty[pg]);

	g.ops->complete(g.ctx, &(struct sim_gop_result){
		.outcome = sea ? SIM_GOP_SEA : SIM_GOP_DONE });
}

/* RSI_IPA_STATE_SET: exit, the host changes at most ripas_step bytes,
 * re-entry completes with how far it got. */
static void fake_ipa_state_set(struct fake_cpu *f, struct sim_payload *sp, const struct sim_gop *op)
{
	struct sim_guest g = sim_payload_guest(sp);
	uint64_t top = op->top - op->ipa > f->ripas_step ? op->ipa + f->ripas_step : op->top;
	struct sim_gop_result res = { .outcome = SIM_GOP_DONE, .rsi_status = RSI_SUCCESS,
				      .next_base = top, .response = RSI_ACCEPT };

	g.ops->exited(g.ctx, RMI_EXIT_RIPAS_CHANGE);
	f->ripas_exits++;
	for (uint64_t ipa = op->ipa; ipa < top; ipa += K4) {
		uint64_t pg = (ipa - RAM_BASE) / K4;

		f->ripas_empty[pg] = op->ripas == RSI_EMPTY;
		if (op->ripas == RSI_EMPTY)
			f->prot_mapped[pg] = false;
	}
	f->ripas_bytes += top - op->ipa;
	if (f->mode == FAKE_REJECT)
		res.response = RSI_REJECT;
	if (f->mode == FAKE_NO_PROGRESS)
		res.next_base = op->ipa;
	if (f->mode == FAKE_RSI_ERROR)
		res.rsi_status = RSI_ERROR_INPUT;
	uint64_t exit_ts = sim_payload_exit_ts(sp);

	g.ops->complete(g.ctx, &res);
	f->stamps_out_of_order += sim_payload_resume_ts(sp) < exit_ts;
}

/* Runs the program to CPU_OFF; false if it does not end in bound steps. */
static bool fake_run(struct fake_cpu *f, struct sim_payload *sp, uint64_t bound)
{
	struct sim_guest g = sim_payload_guest(sp);
	struct sim_gop op;

	for (uint64_t steps = 0; steps < bound; steps++) {
		if (!g.ops->peek(g.ctx, &op))
			return true;
		switch (op.kind) {
		case SIM_GOP_READ:
		case SIM_GOP_WRITE:
			fake_access(f, sp, &op);
			break;
		case SIM_GOP_IPA_STATE_SET:
			fake_ipa_state_set(f, sp, &op);
			break;
		default:
			g.ops->complete(g.ctx, &(struct sim_gop_result){ .outcome = SIM_GOP_DONE });
			break;
		}
	}
	return false;
}

static struct sim_guest_layout layout_for(const struct pattern_params *p)
{
	return (struct sim_guest_layout){
		.ram_base = RAM_BASE,
		.ram_size = (p->overlap ? 1 : p->vcpus) * p->size,
		.unprotected_bit = p->realm ? ALIAS_BIT : 0,
	};
}

static void check_pattern_run(const char *name, uint64_t page, uint64_t size, bool realm)
{
	struct pattern_params p = { .size = size, .page = page, .vcpus = 2, .vcpu = 1,
				    .realm = realm, .seed = 11 };
	struct sim_guest_layout l = layout_for(&p);
	struct pattern_counts want;
	struct sim_payload sp;
	struct fake_cpu f;
	char err[200];

	snprintf(check_context, sizeof(check_context), "%s page=%llu size=%llu realm=%d", name,
		 (unsigned long long)page, (unsigned long long)size, realm);
	CHECK(pattern_count(pattern_find(name), &p, &want, err, sizeof(err)) == 0);
	CHECK(sim_payload_init(&sp, pattern_find(name), &p, &l, err, sizeof(err)) == 0);
	fake_init(&f, l.ram_size, page);
	CHECK(fake_run(&f, &sp, 4 * want.actions + 1000));
	const struct sim_payload_counters *n = sim_payload_counters(&sp);

	CHECK(sim_payload_finished(&sp));
	CHECK_EQ_U64(f.outside, 0);
	/* Faults happen exactly where the pattern said (the fake maps like
	 * the pattern's model of the host). */
	CHECK_EQ_U64(f.faults, want.first_touches);
	CHECK_EQ_U64(n->first_touches, want.first_touches);
	CHECK_EQ_U64(n->missed_faults, 0);
	CHECK_EQ_U64(n->unexpected_exits, 0);
	CHECK_EQ_U64(n->accesses, want.accesses);
	CHECK_EQ_U64(f.accesses, want.accesses);
	CHECK_EQ_U64(n->exits, f.faults + f.ripas_exits);
	CHECK_EQ_U64(n->rsi_calls, f.ripas_exits);
	CHECK_EQ_U64(n->ripas_reissues, f.ripas_exits - want.set_ripas);
	CHECK_EQ_U64(f.ripas_bytes, want.ripas_bytes);
	CHECK_EQ_U64(n->ops, want.accesses + f.ripas_exits + 1);  /* + CPU_OFF */
	CHECK_EQ_U64(n->seas, 0);
	CHECK_EQ_U64(n->guest_errors, 0);
	CHECK(sim_payload_error(&sp)[0] == '\0');
	CHECK_EQ_U64(f.stamps_out_of_order, 0);
	/* Shared accesses use the alias only in a realm. */
	if (!strcmp(name, "shared") && realm)
		CHECK_EQ_U64(f.alias_accesses, want.accesses);
	if (!realm || !strcmp(name, "seq"))
		CHECK_EQ_U64(f.alias_accesses, 0);
	if (want.first_touches)
		CHECK(sim_payload_resume_ts(&sp) >= sim_payload_exit_ts(&sp) &&
		      sim_payload_exit_ts(&sp) != 0);
	/* The end is sticky. */
	struct sim_gop op;
	struct sim_guest g = sim_payload_guest(&sp);

	CHECK(!g.ops->peek(g.ctx, &op));
	fake_free(&f);
}

static void check_all_patterns(void)
{
	const struct pattern *pat;

	for (size_t i = 0; (pat = pattern_at(i)); i++)
		for (int realm = 0; realm < 2; realm++) {
			if (!pat->needs_2m)
				check_pattern_run(pat->name, K4, 5 * M2, realm);
			check_pattern_run(pat->name, M2, 5 * M2, realm);
		}
}

/* The ops one action becomes, checked directly. */
static void check_operation_shapes(void)
{
	struct pattern_params p = { .size = 4 * M2, .page = K4, .vcpus = 3, .vcpu = 2,
				    .realm = true };
	struct sim_guest_layout l = layout_for(&p);
	struct sim_payload sp;
	struct sim_gop op;
	char err[200];

	snprintf(check_context, sizeof(check_context), "operation shapes");
	CHECK(sim_payload_init(&sp, pattern_find("shared"), &p, &l, err, sizeof(err)) == 0);
	struct sim_guest g = sim_payload_guest(&sp);

	CHECK(g.ops->peek(g.ctx, &op));
	CHECK(op.kind == SIM_GOP_IPA_STATE_SET && op.ripas == RSI_EMPTY);
	CHECK_EQ_U64(op.ipa, RAM_BASE + 2 * p.size);
	CHECK_EQ_U64(op.top, RAM_BASE + 3 * p.size);
	/* peek is idempotent until the operation ends. */
	struct sim_gop again;

	CHECK(g.ops->peek(g.ctx, &again) && again.ipa == op.ipa && again.kind == op.kind);
	/* Partial progress: the runtime asks for the remainder. */
	g.ops->exited(g.ctx, RMI_EXIT_RIPAS_CHANGE);
	g.ops->complete(g.ctx, &(struct sim_gop_result){
		.outcome = SIM_GOP_DONE, .rsi_status = RSI_SUCCESS,
		.next_base = op.ipa + 5 * K4, .response = RSI_ACCEPT });
	CHECK(g.ops->peek(g.ctx, &op));
	CHECK(op.kind == SIM_GOP_IPA_STATE_SET);
	CHECK_EQ_U64(op.ipa, RAM_BASE + 2 * p.size + 5 * K4);
	CHECK_EQ_U64(op.top, RAM_BASE + 3 * p.size);
	g.ops->complete(g.ctx, &(struct sim_gop_result){
		.outcome = SIM_GOP_DONE, .rsi_status = RSI_SUCCESS,
		.next_base = op.top, .response = RSI_ACCEPT });
	CHECK_EQ_U64(sim_payload_counters(&sp)->ripas_reissues, 1);
	CHECK_EQ_U64(sim_payload_counters(&sp)->rsi_calls, 2);
	CHECK_EQ_U64(sim_payload_last_exit_reason(&sp), RMI_EXIT_RIPAS_CHANGE);
	/* Then the shared writes, through the alias. */
	CHECK(g.ops->peek(g.ctx, &op));
	CHECK(op.kind == SIM_GOP_WRITE);
	CHECK_EQ_U64(op.ipa, (RAM_BASE + 2 * p.size) | ALIAS_BIT);
	CHECK_EQ_U64(op.value, op.ipa);
}

static struct sim_payload *run_misbehaving(enum fake_misbehaviour mode, const char *pattern,
					   struct fake_cpu *f)
{
	static struct sim_payload sp;
	struct pattern_params p = { .size = 2 * M2, .page = K4, .vcpus = 1, .realm = true };
	struct sim_guest_layout l = layout_for(&p);
	char err[200];

	CHECK(sim_payload_init(&sp, pattern_find(pattern), &p, &l, err, sizeof(err)) == 0);
	fake_init(f, l.ram_size, K4);
	f->mode = mode;
	CHECK(fake_run(f, &sp, 100000));  /* a refusal never hangs the guest */
	CHECK(sim_payload_finished(&sp));
	return &sp;
}

static void check_host_refusals(void)
{
	struct fake_cpu f;
	struct sim_payload *sp;

	snprintf(check_context, sizeof(check_context), "host rejects RIPAS change");
	sp = run_misbehaving(FAKE_REJECT, "ripas", &f);
	CHECK_EQ_U64(sim_payload_counters(sp)->guest_errors, 2 * 2);  /* 2 chunks, 2 calls */
	CHECK_CONTAINS(sim_payload_error(sp), "host rejected IPA_STATE_SET [0x40000000, 0x40200000)");
	fake_free(&f);

	snprintf(check_context, sizeof(check_context), "RIPAS change without progress");
	sp = run_misbehaving(FAKE_NO_PROGRESS, "shared", &f);
	CHECK_EQ_U64(sim_payload_counters(sp)->guest_errors, 1);
	CHECK_CONTAINS(sim_payload_error(sp), "no progress");
	fake_free(&f);

	snprintf(check_context, sizeof(check_context), "RSI error status");
	sp = run_misbehaving(FAKE_RSI_ERROR, "unfold", &f);
	CHECK_EQ_U64(sim_payload_counters(sp)->guest_errors, 2 * 2);  /* 2 regions, 2 calls */
	CHECK_CONTAINS(sim_payload_error(sp), "RSI status 1");
	fake_free(&f);

	snprintf(check_context, sizeof(check_context), "SEA on every access");
	sp = run_misbehaving(FAKE_SEA_ALWAYS, "seq", &f);
	CHECK_EQ_U64(sim_payload_counters(sp)->seas, 2 * M2 / K4);
	CHECK_EQ_U64(sim_payload_counters(sp)->accesses, 2 * M2 / K4);
	CHECK_EQ_U64(sim_payload_counters(sp)->guest_errors, 0);
	fake_free(&f);

	/* Reports after CPU_OFF are the CPU model's bug: counted, no crash. */
	snprintf(check_context, sizeof(check_context), "reports after CPU_OFF");
	sp = run_misbehaving(FAKE_GOOD, "seq", &f);
	struct sim_guest g = sim_payload_guest(sp);

	g.ops->complete(g.ctx, &(struct sim_gop_result){ .outcome = SIM_GOP_DONE });
	g.ops->exited(g.ctx, RMI_EXIT_SYNC);
	CHECK_EQ_U64(sim_payload_counters(sp)->guest_errors, 2);
	CHECK_CONTAINS(sim_payload_error(sp), "after CPU_OFF");
	fake_free(&f);
}

/* A CPU model may end the program with the PSCI exit instead of complete(). */
static void check_system_off_by_exit(void)
{
	struct pattern_params p = { .size = K4, .page = K4, .vcpus = 1 };
	struct sim_guest_layout l = layout_for(&p);
	struct sim_payload sp;
	struct sim_gop op;
	char err[200];

	snprintf(check_context, sizeof(check_context), "CPU_OFF by PSCI exit");
	CHECK(sim_payload_init(&sp, pattern_find("seq"), &p, &l, err, sizeof(err)) == 0);
	struct sim_guest g = sim_payload_guest(&sp);

	CHECK(g.ops->peek(g.ctx, &op) && op.kind == SIM_GOP_WRITE);
	g.ops->complete(g.ctx, &(struct sim_gop_result){ .outcome = SIM_GOP_DONE });
	CHECK(g.ops->peek(g.ctx, &op) && op.kind == SIM_GOP_CPU_OFF);
	CHECK(!sim_payload_finished(&sp));
	g.ops->exited(g.ctx, RMI_EXIT_PSCI);
	CHECK(sim_payload_finished(&sp));
	CHECK(!g.ops->peek(g.ctx, &op));
	CHECK_EQ_U64(sim_payload_counters(&sp)->exits, 1);
	CHECK_EQ_U64(sim_payload_counters(&sp)->missed_faults, 1);  /* the write did not exit */
	CHECK_EQ_U64(sim_payload_counters(&sp)->guest_errors, 0);
}

static void expect_layout_error(struct pattern_params p, struct sim_guest_layout l,
				const char *want)
{
	struct sim_payload sp;
	char err[200] = "";

	snprintf(check_context, sizeof(check_context), "layout: expect \"%s\"", want);
	CHECK(sim_payload_init(&sp, pattern_find("seq"), &p, &l, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, want);
}

static void check_layout_errors(void)
{
	const struct pattern_params realm = { .size = M2, .page = K4, .vcpus = 2, .realm = true };
	struct pattern_params normal = realm;
	struct sim_guest_layout l = { RAM_BASE, 2 * M2, ALIAS_BIT, 0 };
	struct sim_guest_layout bad;

	normal.realm = false;
	bad = l; bad.ram_base += K4;
	expect_layout_error(realm, bad, "ram_base 0x40001000 is not 2 MiB aligned");
	bad = l; bad.ram_size = M2;
	expect_layout_error(realm, bad, "ram_size 2097152 is smaller than the 4194304 bytes");
	bad = l; bad.unprotected_bit = 0;
	expect_layout_error(realm, bad, "unprotected_bit 0x0 is not a single IPA bit");
	bad = l; bad.unprotected_bit = ALIAS_BIT | 1;
	expect_layout_error(realm, bad, "is not a single IPA bit");
	bad = l; bad.unprotected_bit = RAM_BASE;
	expect_layout_error(realm, bad, "unprotected_bit 0x40000000 lies inside guest RAM");
	bad = l; bad.ram_base = ~0ULL << 21;
	expect_layout_error(realm, bad, "overflows");
	expect_layout_error(normal, l, "given for a normal VM");
	struct pattern_params bad_pattern = realm;

	bad_pattern.size = 5000;
	expect_layout_error(bad_pattern, l, "size 5000 is not a multiple of the 4K page");

	struct sim_payload sp;
	char err[200];

	snprintf(check_context, sizeof(check_context), "layout: normal VM ok");
	l.unprotected_bit = 0;
	CHECK(sim_payload_init(&sp, pattern_find("seq"), &normal, &l, err, sizeof(err)) == 0);
	CHECK(sim_payload_init(&sp, pattern_find("seq"), &normal, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "no guest layout");
	CHECK(sim_payload_init(NULL, pattern_find("seq"), &normal, &l, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "no sim_payload");
}

int main(void)
{
	check_all_patterns();
	check_operation_shapes();
	check_host_refusals();
	check_system_off_by_exit();
	check_layout_errors();
	return check_report("test_sim_runtime");
}
