/*
 * rmi/<abi>/<COMMAND>[/<variant>]: the cost of one RMI command in the RMM
 * model, called through its SMC conduit (rmm_conduit), ABI 1.0 and 2.0.
 *
 * How one command is isolated: a case prepares the state a batch of
 * `batch` commands needs (untimed), issues the batch between two stage
 * clock reads, checks every X0, then undoes the batch (untimed) so the
 * next batch starts from the same state. Each iteration reports the
 * batch's mean time per command as its manual time; the batch amortises
 * the two clock reads (one read, ~clock/now, is spread over `batch`
 * commands). Counter p50_ns is the median over batches.
 *
 * Only the model's public API is used (rmm.h, the SMC conduit, phys.h):
 * the cases are what a host would see over SMC, minus the world switch.
 * Not measured: PSCI_COMPLETE (the model does not implement it) and
 * OP_CONTINUE (the model never leaves a command INCOMPLETE, so only its
 * error path exists).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rsi.h"
#include "cases.h"
#include "samples.h"
#include "phys/phys.h"
#include "rmm/rmm.h"
#include "clock/stage_clock.h"

#define SZ_2M     (2ULL << 20)
#define S2SZ      40
#define NS_BIT    (1ULL << (S2SZ - 1))      /* unprotected IPA alias */
#define IPA_DATA  0x40000000ULL             /* protected data pages */
#define IPA_RTT   0x80000000ULL             /* level-3 tables created/destroyed */
#define IPA_FOLD  0xC0000000ULL             /* 2 MiB regions folded/unfolded */
#define IPA_BLOCK 0x100000000ULL            /* 2 MiB blocks (2.0) */
#define MAX_BATCH 64
#define DATA_MEASURE_NONE 0                 /* RMI_NO_MEASURE_CONTENT */

/* 2.0 range descriptors (RmiAddrRangeDesc / flags), as the model reads them. */
#define RANGE_SINGLE 1ULL
#define UNPROT_FLAGS (RANGE_SINGLE | (5ULL << 16) | (3ULL << 19)) /* WB, RW */
#define NS_DESC_ATTRS ((0x5ULL << 2) | (3ULL << 6)) /* 1.0: WB, RW (SH is the RMM's) */

static uint64_t range_desc(uint64_t pa, unsigned count, int level, bool undelegated)
{
	return pa | ((uint64_t)count << 2) | (uint64_t)(3 - level) |
	       ((uint64_t)undelegated << 63);
}

/* ---- the machine a case runs on ----------------------------------- */

struct fx {
	enum rmi_abi abi;
	struct phys_mem *pm;
	struct rmm *rmm;
	struct smc_conduit conduit;
	uint64_t rd, params;           /* the realm (0 if none) */
	int sl;
	unsigned num_root;
	unsigned next_vmid;
	unsigned next_rec_index;
	uint64_t pool[MAX_BATCH];      /* per-command granules */
	uint64_t pool2[MAX_BATCH];
	uint64_t rec, run;
	struct guest_prog *guest;
	uint64_t fresh_next;           /* fresh-granule cursor (fx_fresh_ipa) */
	uint64_t fresh_tables[2];      /* level-3 tables of the last two regions */
	char err[200];
};

static uint64_t fx_smc(struct fx *f, struct smc_res *res, uint64_t fid, uint64_t a1,
		       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct smc_args args = { .fid = fid, .x = { a1, a2, a3, a4, a5, 0 } };
	struct smc_res r;

	smc_call(&f->conduit, &args, res ? res : &r);
	return res ? res->x[0] : r.x[0];
}

static int fx_fail(struct fx *f, const char *what, uint64_t ret)
{
	snprintf(f->err, sizeof(f->err), "setup: %s returned %s (index %u)", what,
		 rmi_status_name(RMI_RETURN_STATUS(ret)), RMI_RETURN_INDEX(ret));
	return -1;
}

/* Pages of modeled DRAM, backed by host memory at once: the model zeroes
 * (scrubs) only backed pages, and in a VM every data page is real memory,
 * so a command that scrubs must pay for it here too. */
static uint64_t fx_pages(struct fx *f, uint64_t n, uint64_t align)
{
	uint64_t pa = phys_alloc(f->pm, n, align);

	if (pa == PHYS_NONE) {
		snprintf(f->err, sizeof(f->err), "setup: modeled DRAM exhausted");
		return pa;
	}
	for (uint64_t i = 0; i < n; i++)
		if (!phys_va(f->pm, pa + i * GRANULE_SIZE)) {
			snprintf(f->err, sizeof(f->err), "setup: cannot back modeled DRAM");
			return PHYS_NONE;
		}
	return pa;
}

static int fx_delegate(struct fx *f, uint64_t pa, uint64_t n)
{
	uint64_t top = pa + n * GRANULE_SIZE, ret;

	if (f->abi == RMI_ABI_1_0) {
		for (uint64_t a = pa; a < top; a += GRANULE_SIZE)
			if ((ret = fx_smc(f, NULL, RMI_GRANULE_DELEGATE, a, 0, 0, 0, 0)))
				return fx_fail(f, "GRANULE_DELEGATE", ret);
		return 0;
	}
	for (uint64_t a = pa; a < top;) {
		struct smc_res r;

		if ((ret = fx_smc(f, &r, RMI_GRANULE_RANGE_DELEGATE, a, top, 0, 0, 0)))
			return fx_fail(f, "GRANULE_RANGE_DELEGATE", ret);
		a = r.x[1];
	}
	return 0;
}

static uint64_t fx_delegated(struct fx *f, uint64_t n, uint64_t align)
{
	uint64_t pa = fx_pages(f, n, align);

	if (pa == PHYS_NONE || fx_delegate(f, pa, n))
		return PHYS_NONE;
	return pa;
}

/* Granules and parameters of a realm (s2sz 40, start level 1, two
 * concatenated root RTTs) ready for REALM_CREATE: *rd, *params. */
static int fx_realm_args(struct fx *f, uint64_t *rd, uint64_t *params)
{
	struct rmi_realm_params *p;
	uint64_t rtt;

	f->sl = 1;
	f->num_root = 2; /* 40 bits from level 1: two concatenated tables */
	*rd = fx_delegated(f, 1, GRANULE_SIZE);
	rtt = fx_delegated(f, f->num_root, f->num_root * GRANULE_SIZE);
	*params = fx_pages(f, 1, GRANULE_SIZE);
	if (*rd == PHYS_NONE || rtt == PHYS_NONE || *params == PHYS_NONE)
		return -1;
	p = phys_va(f->pm, *params);
	memset(p, 0, sizeof(*p));
	p->s2sz = S2SZ;
	p->hash_algo = RMI_HASH_SHA_256;
	p->vmid = f->next_vmid++;
	p->rtt_base = rtt;
	p->rtt_level_start = f->sl;
	p->rtt_num_start = f->num_root;
	p->num_bps = 1;   /* 0 is reserved */
	p->num_wps = 1;
	return 0;
}

static int fx_realm(struct fx *f, bool activate)
{
	uint64_t ret;

	if (fx_realm_args(f, &f->rd, &f->params))
		return -1;
	if ((ret = fx_smc(f, NULL, RMI_REALM_CREATE, f->rd, f->params, 0, 0, 0)))
		return fx_fail(f, "REALM_CREATE", ret);
	if (activate && (ret = fx_smc(f, NULL, RMI_REALM_ACTIVATE, f->rd, 0, 0, 0, 0)))
		return fx_fail(f, "REALM_ACTIVATE", ret);
	return 0;
}

/* RTTs from below the start level down to `level` for ipa. */
static int fx_rtt_to(struct fx *f, uint64_t ipa, int level)
{
	for (int l = f->sl + 1; l <= level; l++) {
		uint64_t mask = rtt_level_map_size(l - 1) - 1;
		struct smc_res r;

		if (!fx_smc(f, &r, RMI_RTT_READ_ENTRY, f->rd, ipa & ~mask, (uint64_t)(l - 1), 0, 0) &&
		    r.x[2] == RMI_TABLE)
			continue;
		uint64_t rtt = fx_delegated(f, 1, GRANULE_SIZE), ret;
		if (rtt == PHYS_NONE)
			return -1;
		if ((ret = fx_smc(f, NULL, RMI_RTT_CREATE, f->rd, rtt, ipa & ~mask, (uint64_t)l, 0)))
			return fx_fail(f, "RTT_CREATE", ret);
	}
	return 0;
}

/* Map data granule pa at ipa the ABI's way (RTTs exist). */
static uint64_t fx_map_data(struct fx *f, uint64_t ipa, uint64_t pa)
{
	if (f->abi == RMI_ABI_1_0)
		return fx_smc(f, NULL, RMI_DATA_CREATE_UNKNOWN, f->rd, pa, ipa, 0, 0);
	return fx_smc(f, NULL, RMI_RTT_DATA_MAP, f->rd, ipa, ipa + GRANULE_SIZE, RANGE_SINGLE,
		      range_desc(pa, 1, 3, false));
}

static uint64_t fx_unmap_data(struct fx *f, uint64_t ipa)
{
	if (f->abi == RMI_ABI_1_0)
		return fx_smc(f, NULL, RMI_DATA_DESTROY, f->rd, ipa, 0, 0, 0);
	return fx_smc(f, NULL, RMI_RTT_DATA_UNMAP, f->rd, ipa, ipa + GRANULE_SIZE, 0, 0);
}

static int chk_init_ripas(struct fx *f, uint64_t base, uint64_t top)
{
	struct smc_res r;
	uint64_t ret = fx_smc(f, &r, RMI_RTT_INIT_RIPAS, f->rd, base, top, 0, 0);

	if (ret)
		return fx_fail(f, "RTT_INIT_RIPAS", ret);
	if (r.x[1] != top) {
		snprintf(f->err, sizeof(f->err), "setup: RTT_INIT_RIPAS stopped short of top");
		return -1;
	}
	return 0;
}

/*
 * Commands that work only once per IPA (RTT_INIT_RIPAS, and DATA_CREATE /
 * RTT_DATA_MAP_INIT, which leave the IPA DESTROYED after the undo) take a
 * fresh granule per command, walking 2 MiB regions from IPA_FRESH. Entering
 * a region creates its level-3 table (and makes it RIPAS RAM when asked),
 * untimed; the table of the region before the previous one is destroyed
 * then (every command of a batch has been issued and undone by then: a
 * batch is shorter than a region), so memory stays bounded.
 */
#define IPA_FRESH     0x1000000000ULL
#define IPA_FRESH_TOP (NS_BIT - SZ_2M)

static int fx_release_rtt(struct fx *f, uint64_t ipa)
{
	struct smc_res r;
	uint64_t ret = fx_smc(f, &r, RMI_RTT_DESTROY, f->rd, ipa, 3, 0, 0);

	if (ret)
		return fx_fail(f, "RTT_DESTROY", ret);
	if (f->abi == RMI_ABI_1_0)
		ret = fx_smc(f, NULL, RMI_GRANULE_UNDELEGATE, r.x[1], 0, 0, 0, 0);
	else
		ret = fx_smc(f, NULL, RMI_GRANULE_RANGE_UNDELEGATE, r.x[1], r.x[1] + GRANULE_SIZE,
			     0, 0, 0);
	if (ret)
		return fx_fail(f, "undelegate RTT", ret);
	phys_free(f->pm, r.x[1], 1);
	return 0;
}

static int fx_fresh_ipa(struct fx *f, bool ripas_ram, uint64_t *ipa)
{
	if (!f->fresh_next)
		f->fresh_next = IPA_FRESH;
	*ipa = f->fresh_next;
	if (*ipa >= IPA_FRESH_TOP) {
		snprintf(f->err, sizeof(f->err), "fresh IPA space used up: use a shorter --min-time");
		return -1;
	}
	if (!(*ipa & (SZ_2M - 1))) {
		if (f->fresh_tables[0] && fx_release_rtt(f, f->fresh_tables[0]))
			return -1;
		f->fresh_tables[0] = f->fresh_tables[1];
		f->fresh_tables[1] = *ipa;
		if (fx_rtt_to(f, *ipa, 3))
			return -1;
		if (ripas_ram && chk_init_ripas(f, *ipa, *ipa + SZ_2M))
			return -1;
	}
	f->fresh_next += GRANULE_SIZE;
	return 0;
}

static uint64_t mpidr_of_index(unsigned i)
{
	return (i & 0xF) | ((uint64_t)((i >> 4) & 0xFF) << 8) | ((uint64_t)((i >> 12) & 0xFF) << 16);
}

static uint64_t fx_rec_params(struct fx *f)
{
	uint64_t params = fx_pages(f, 1, GRANULE_SIZE);
	struct rmi_rec_params *p;

	if (params == PHYS_NONE)
		return PHYS_NONE;
	p = phys_va(f->pm, params);
	memset(p, 0, sizeof(*p));
	p->flags = REC_PARAMS_FLAG_RUNNABLE;
	p->mpidr = mpidr_of_index(f->next_rec_index++);
	return params;
}

/* ---- a guest that always asks for the same thing ------------------- */

/* REC_ENTER and RTT_SET_RIPAS need a REC whose guest exits: this one
 * repeats one operation forever (HOST_CALL, or an RSI_IPA_STATE_SET that
 * alternates EMPTY and RAM over one granule). */
struct guest_prog {
	enum sim_gop_kind kind;
	uint64_t ipa;
	uint8_t ripas;
};

static bool guest_peek(void *ctx, struct sim_gop *op)
{
	struct guest_prog *g = ctx;

	*op = (struct sim_gop){ .kind = g->kind, .ipa = g->ipa, .top = g->ipa + GRANULE_SIZE,
				.ripas = g->ripas, .flags = RSI_CHANGE_DESTROYED };
	return true;
}

static void guest_complete(void *ctx, const struct sim_gop_result *res)
{
	struct guest_prog *g = ctx;

	if (g->kind == SIM_GOP_IPA_STATE_SET && res->next_base > g->ipa)
		g->ripas = g->ripas == RSI_RAM ? RSI_EMPTY : RSI_RAM;
}

static void guest_exited(void *ctx, unsigned reason)
{
	(void)ctx;
	(void)reason;
}

static const struct sim_guest_ops guest_ops = {
	.peek = guest_peek, .complete = guest_complete, .exited = guest_exited,
};

/* A REC (created while NEW) running `g`; activates the realm. */
static int fx_rec_with_guest(struct fx *f, struct guest_prog *g)
{
	uint64_t params, ret;

	f->rec = fx_delegated(f, 1, GRANULE_SIZE);
	f->run = fx_pages(f, 1, GRANULE_SIZE);
	params = fx_rec_params(f);
	if (f->rec == PHYS_NONE || f->run == PHYS_NONE || params == PHYS_NONE)
		return -1;
	if ((ret = fx_smc(f, NULL, RMI_REC_CREATE, f->rd, f->rec, params, 0, 0)))
		return fx_fail(f, "REC_CREATE", ret);
	f->guest = g;
	if (rmm_sim_rec_attach_guest(f->rmm, f->rec, (struct sim_guest){ &guest_ops, g })) {
		snprintf(f->err, sizeof(f->err), "setup: cannot attach the guest program");
		return -1;
	}
	if ((ret = fx_smc(f, NULL, RMI_REALM_ACTIVATE, f->rd, 0, 0, 0, 0)))
		return fx_fail(f, "REALM_ACTIVATE", ret);
	memset(phys_va(f->pm, f->run), 0, sizeof(struct rmi_rec_run));
	return 0;
}

static uint64_t fx_rec_enter(struct fx *f)
{
	return fx_smc(f, NULL, RMI_REC_ENTER, f->rec, f->run, 0, 0, 0);
}

/* ---- case descriptions ---------------------------------------------- */

#define ABI_1 (1u << RMI_ABI_1_0)
#define ABI_2 (1u << RMI_ABI_2_0)
#define ABI_BOTH (ABI_1 | ABI_2)

struct rmi_case {
	const char *cmd;       /* spec name of the measured command */
	const char *variant;   /* NULL, or what distinguishes this case */
	unsigned abis;
	unsigned batch;        /* commands per timed batch (<= MAX_BATCH) */
	const char *what;      /* the label: what one command does here */
	int (*setup)(struct fx *f, unsigned batch);
	/* Untimed, before the batch: make command i possible, fill its args. */
	int (*prep)(struct fx *f, unsigned i, struct smc_args *a);
	/* Untimed, after the batch: restore the state prep started from. */
	int (*undo)(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r);
};

#define ARGS(fid_, ...) (*a = (struct smc_args){ .fid = (fid_), .x = { __VA_ARGS__ } }, 0)

static int chk(struct fx *f, const char *what, uint64_t ret)
{
	return ret ? fx_fail(f, what, ret) : 0;
}

/* -- no state -- */

static int setup_none(struct fx *f, unsigned batch)
{
	(void)f;
	(void)batch;
	return 0;
}

static int prep_version(struct fx *f, unsigned i, struct smc_args *a)
{
	(void)i;
	return ARGS(RMI_VERSION, f->abi == RMI_ABI_1_0 ? RMI_ABI_VERSION(1, 0) : RMI_ABI_VERSION(2, 0));
}

static int prep_features(struct fx *f, unsigned i, struct smc_args *a)
{
	(void)f;
	(void)i;
	return ARGS(RMI_FEATURES, 0);
}

/* -- granules -- */

static int setup_ns_pool(struct fx *f, unsigned batch)
{
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_pages(f, 1, GRANULE_SIZE)) == PHYS_NONE)
			return -1;
	return 0;
}

static int setup_ns_pool_2m(struct fx *f, unsigned batch)
{
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_pages(f, 512, SZ_2M)) == PHYS_NONE)
			return -1;
	return 0;
}

static int prep_delegate(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_GRANULE_DELEGATE, f->pool[i]);
}

static int undo_delegate(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r)
{
	(void)a;
	(void)r;
	return chk(f, "GRANULE_UNDELEGATE", fx_smc(f, NULL, RMI_GRANULE_UNDELEGATE, f->pool[i], 0, 0, 0, 0));
}

static int prep_undelegate(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "GRANULE_DELEGATE", fx_smc(f, NULL, RMI_GRANULE_DELEGATE, f->pool[i], 0, 0, 0, 0)))
		return -1;
	return ARGS(RMI_GRANULE_UNDELEGATE, f->pool[i]);
}

static int undo_none(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r)
{
	(void)f;
	(void)i;
	(void)a;
	(void)r;
	return 0;
}

static uint64_t range_top(const struct fx *f, unsigned i, uint64_t size)
{
	return f->pool[i] + size;
}

/* A range command must finish in one call for the time to mean "this
 * range"; X1 (next) short of top is a failure of the case. */
static int range_done(struct fx *f, const char *what, const struct smc_res *r, uint64_t top)
{
	if (r->x[1] != top) {
		snprintf(f->err, sizeof(f->err), "%s stopped at 0x%llx before top 0x%llx", what,
			 (unsigned long long)r->x[1], (unsigned long long)top);
		return -1;
	}
	return 0;
}

static int prep_range_delegate_4k(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_GRANULE_RANGE_DELEGATE, f->pool[i], range_top(f, i, GRANULE_SIZE));
}

static int prep_range_delegate_2m(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_GRANULE_RANGE_DELEGATE, f->pool[i], range_top(f, i, SZ_2M));
}

static int undo_range_delegate(struct fx *f, unsigned i, const struct smc_args *a,
			       const struct smc_res *r)
{
	struct smc_res u;

	if (range_done(f, "GRANULE_RANGE_DELEGATE", r, a->x[1]))
		return -1;
	if (chk(f, "GRANULE_RANGE_UNDELEGATE",
		fx_smc(f, &u, RMI_GRANULE_RANGE_UNDELEGATE, f->pool[i], a->x[1], 0, 0, 0)))
		return -1;
	return range_done(f, "GRANULE_RANGE_UNDELEGATE", &u, a->x[1]);
}

static int prep_range_undelegate(struct fx *f, unsigned i, struct smc_args *a, uint64_t size)
{
	struct smc_res r;

	if (chk(f, "GRANULE_RANGE_DELEGATE",
		fx_smc(f, &r, RMI_GRANULE_RANGE_DELEGATE, f->pool[i], range_top(f, i, size), 0, 0, 0)) ||
	    range_done(f, "GRANULE_RANGE_DELEGATE", &r, range_top(f, i, size)))
		return -1;
	return ARGS(RMI_GRANULE_RANGE_UNDELEGATE, f->pool[i], range_top(f, i, size));
}

static int prep_range_undelegate_4k(struct fx *f, unsigned i, struct smc_args *a)
{
	return prep_range_undelegate(f, i, a, GRANULE_SIZE);
}

static int prep_range_undelegate_2m(struct fx *f, unsigned i, struct smc_args *a)
{
	return prep_range_undelegate(f, i, a, SZ_2M);
}

/* GRANULE_RANGE_UNDELEGATE: top is X2 (args x[1]). */
static int undo_range_check(struct fx *f, unsigned i, const struct smc_args *a,
			    const struct smc_res *r)
{
	(void)i;
	return range_done(f, "GRANULE_RANGE_UNDELEGATE", r, a->x[1]);
}

/* RTT_DATA_UNMAP: top is X3 (args x[2]). */
static int undo_unmap_check(struct fx *f, unsigned i, const struct smc_args *a,
			    const struct smc_res *r)
{
	(void)i;
	return range_done(f, "RTT_DATA_UNMAP", r, a->x[2]);
}

/* -- data -- */

/* A realm (active or NEW), RTTs for IPA_DATA, `batch` delegated granules. */
static int setup_data(struct fx *f, unsigned batch, bool active)
{
	if (fx_realm(f, active) || fx_rtt_to(f, IPA_DATA, 3))
		return -1;
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_delegated(f, 1, GRANULE_SIZE)) == PHYS_NONE)
			return -1;
	f->pool2[0] = fx_pages(f, 1, GRANULE_SIZE); /* source page of DATA_CREATE */
	return f->pool2[0] == PHYS_NONE ? -1 : 0;
}

static int setup_data_active(struct fx *f, unsigned batch)
{
	return setup_data(f, batch, true);
}

static int setup_data_new(struct fx *f, unsigned batch)
{
	return setup_data(f, batch, false);
}

static uint64_t data_ipa(unsigned i)
{
	return IPA_DATA + (uint64_t)i * GRANULE_SIZE;
}

static int prep_data_create_unknown(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_DATA_CREATE_UNKNOWN, f->rd, f->pool[i], data_ipa(i));
}

static int prep_data_create(struct fx *f, unsigned i, struct smc_args *a)
{
	uint64_t ipa;

	if (fx_fresh_ipa(f, true, &ipa))
		return -1;
	return ARGS(RMI_DATA_CREATE, f->rd, f->pool[i], ipa, f->pool2[0], DATA_MEASURE_NONE);
}

static int prep_data_map_init(struct fx *f, unsigned i, struct smc_args *a)
{
	uint64_t ipa;

	if (fx_fresh_ipa(f, true, &ipa))
		return -1;
	return ARGS(RMI_RTT_DATA_MAP_INIT, f->rd, f->pool[i], ipa, f->pool2[0], DATA_MEASURE_NONE);
}

/* Undo of DATA_CREATE / RTT_DATA_MAP_INIT: X3 (args x[2]) is the IPA. */
static int undo_data_fresh(struct fx *f, unsigned i, const struct smc_args *a,
			   const struct smc_res *r)
{
	(void)i;
	(void)r;
	return chk(f, f->abi == RMI_ABI_1_0 ? "DATA_DESTROY" : "RTT_DATA_UNMAP",
		   fx_unmap_data(f, a->x[2]));
}

static int prep_data_map(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_DATA_MAP, f->rd, data_ipa(i), data_ipa(i) + GRANULE_SIZE, RANGE_SINGLE,
		    range_desc(f->pool[i], 1, 3, false));
}

static int undo_data(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r)
{
	(void)a;
	(void)r;
	return chk(f, f->abi == RMI_ABI_1_0 ? "DATA_DESTROY" : "RTT_DATA_UNMAP",
		   fx_unmap_data(f, data_ipa(i)));
}

static int prep_data_destroy(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "DATA_CREATE_UNKNOWN", fx_map_data(f, data_ipa(i), f->pool[i])))
		return -1;
	return ARGS(RMI_DATA_DESTROY, f->rd, data_ipa(i));
}

static int prep_data_unmap(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "RTT_DATA_MAP", fx_map_data(f, data_ipa(i), f->pool[i])))
		return -1;
	return ARGS(RMI_RTT_DATA_UNMAP, f->rd, data_ipa(i), data_ipa(i) + GRANULE_SIZE, 0, 0);
}

/* 2.0 2 MiB blocks: a level-2 RTT over IPA_BLOCK, 2 MiB of delegated granules each. */
static int setup_block(struct fx *f, unsigned batch)
{
	if (fx_realm(f, true) || fx_rtt_to(f, IPA_BLOCK, 2))
		return -1;
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_delegated(f, 512, SZ_2M)) == PHYS_NONE)
			return -1;
	return 0;
}

static uint64_t block_ipa(unsigned i)
{
	return IPA_BLOCK + (uint64_t)i * SZ_2M;
}

static int prep_block_map(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_DATA_MAP, f->rd, block_ipa(i), block_ipa(i) + SZ_2M, RANGE_SINGLE,
		    range_desc(f->pool[i], 1, 2, false));
}

static int undo_block(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r)
{
	struct smc_res u;

	(void)a;
	if (range_done(f, "RTT_DATA_MAP", r, block_ipa(i) + SZ_2M) ||
	    chk(f, "RTT_DATA_UNMAP", fx_smc(f, &u, RMI_RTT_DATA_UNMAP, f->rd, block_ipa(i),
					     block_ipa(i) + SZ_2M, 0, 0)))
		return -1;
	return range_done(f, "RTT_DATA_UNMAP", &u, block_ipa(i) + SZ_2M);
}

static int prep_block_unmap(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "RTT_DATA_MAP", fx_smc(f, NULL, RMI_RTT_DATA_MAP, f->rd, block_ipa(i),
					   block_ipa(i) + SZ_2M, RANGE_SINGLE,
					   range_desc(f->pool[i], 1, 2, false))))
		return -1;
	return ARGS(RMI_RTT_DATA_UNMAP, f->rd, block_ipa(i), block_ipa(i) + SZ_2M, 0, 0);
}

/* -- RTTs -- */

/* Level-3 tables under one level-2 table over IPA_RTT; `batch` delegated pages. */
static int setup_rtt(struct fx *f, unsigned batch)
{
	if (fx_realm(f, true) || fx_rtt_to(f, IPA_RTT, 2))
		return -1;
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_delegated(f, 1, GRANULE_SIZE)) == PHYS_NONE)
			return -1;
	return 0;
}

static uint64_t rtt_ipa(unsigned i)
{
	return IPA_RTT + (uint64_t)i * SZ_2M;
}

static int prep_rtt_create(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_CREATE, f->rd, f->pool[i], rtt_ipa(i), 3);
}

static int undo_rtt_create(struct fx *f, unsigned i, const struct smc_args *a,
			   const struct smc_res *r)
{
	struct smc_res d;

	(void)a;
	(void)r;
	return chk(f, "RTT_DESTROY", fx_smc(f, &d, RMI_RTT_DESTROY, f->rd, rtt_ipa(i), 3, 0, 0));
}

static int prep_rtt_destroy(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "RTT_CREATE", fx_smc(f, NULL, RMI_RTT_CREATE, f->rd, f->pool[i], rtt_ipa(i), 3, 0)))
		return -1;
	return ARGS(RMI_RTT_DESTROY, f->rd, rtt_ipa(i), 3);
}

static int prep_rtt_read_entry(struct fx *f, unsigned i, struct smc_args *a)
{
	(void)i;
	return ARGS(RMI_RTT_READ_ENTRY, f->rd, data_ipa(0), 3);
}

static int setup_read_entry(struct fx *f, unsigned batch)
{
	(void)batch;
	if (setup_data(f, 1, true))
		return -1;
	return chk(f, "map data", fx_map_data(f, data_ipa(0), f->pool[0]));
}

/* Fold: `batch` 2 MiB regions, each a level-3 table of 512 contiguous
 * assigned granules. FOLD makes it a block; the undo unfolds it again
 * with RTT_CREATE of the table FOLD handed back, so every batch starts
 * from full tables. */
static uint64_t fold_ipa(unsigned i)
{
	return IPA_FOLD + (uint64_t)i * SZ_2M;
}

static int setup_fold(struct fx *f, unsigned batch)
{
	if (fx_realm(f, true))
		return -1;
	for (unsigned i = 0; i < batch; i++) {
		uint64_t pa = fx_delegated(f, 512, SZ_2M);

		if (pa == PHYS_NONE || fx_rtt_to(f, fold_ipa(i), 3))
			return -1;
		for (unsigned g = 0; g < 512; g++)
			if (chk(f, "map data", fx_map_data(f, fold_ipa(i) + g * GRANULE_SIZE,
							   pa + g * GRANULE_SIZE)))
				return -1;
	}
	return 0;
}

static int prep_fold(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_FOLD, f->rd, fold_ipa(i), 3);
}

static int undo_fold(struct fx *f, unsigned i, const struct smc_args *a, const struct smc_res *r)
{
	(void)a;
	return chk(f, "RTT_CREATE (unfold)",
		   fx_smc(f, NULL, RMI_RTT_CREATE, f->rd, r->x[1], fold_ipa(i), 3, 0));
}

/* Unfold (RTT_CREATE under an assigned block): fold first, untimed. */
static int prep_unfold(struct fx *f, unsigned i, struct smc_args *a)
{
	struct smc_res r;

	if (chk(f, "RTT_FOLD", fx_smc(f, &r, RMI_RTT_FOLD, f->rd, fold_ipa(i), 3, 0, 0)))
		return -1;
	return ARGS(RMI_RTT_CREATE, f->rd, r.x[1], fold_ipa(i), 3);
}

/* -- unprotected mappings -- */

static uint64_t ns_ipa(unsigned i)
{
	return NS_BIT | (IPA_DATA + (uint64_t)i * GRANULE_SIZE);
}

static int setup_unprot(struct fx *f, unsigned batch)
{
	if (fx_realm(f, true) || fx_rtt_to(f, ns_ipa(0), 3))
		return -1;
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_pages(f, 1, GRANULE_SIZE)) == PHYS_NONE)
			return -1;
	return 0;
}

static int prep_map_unprotected(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_MAP_UNPROTECTED, f->rd, ns_ipa(i), 3, f->pool[i] | NS_DESC_ATTRS);
}

static int undo_map_unprotected(struct fx *f, unsigned i, const struct smc_args *a,
				const struct smc_res *r)
{
	(void)a;
	(void)r;
	return chk(f, "RTT_UNMAP_UNPROTECTED",
		   fx_smc(f, NULL, RMI_RTT_UNMAP_UNPROTECTED, f->rd, ns_ipa(i), 3, 0, 0));
}

static int prep_unmap_unprotected(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "RTT_MAP_UNPROTECTED", fx_smc(f, NULL, RMI_RTT_MAP_UNPROTECTED, f->rd, ns_ipa(i),
						  3, f->pool[i] | NS_DESC_ATTRS, 0)))
		return -1;
	return ARGS(RMI_RTT_UNMAP_UNPROTECTED, f->rd, ns_ipa(i), 3);
}

static int prep_unprot_map(struct fx *f, unsigned i, struct smc_args *a)
{
	return ARGS(RMI_RTT_UNPROT_MAP, f->rd, ns_ipa(i), ns_ipa(i) + GRANULE_SIZE, UNPROT_FLAGS,
		    range_desc(f->pool[i], 1, 3, true));
}

static int undo_unprot_map(struct fx *f, unsigned i, const struct smc_args *a,
			   const struct smc_res *r)
{
	(void)a;
	if (range_done(f, "RTT_UNPROT_MAP", r, ns_ipa(i) + GRANULE_SIZE))
		return -1;
	return chk(f, "RTT_UNPROT_UNMAP", fx_smc(f, NULL, RMI_RTT_UNPROT_UNMAP, f->rd, ns_ipa(i),
						  ns_ipa(i) + GRANULE_SIZE, 0, 0));
}

static int prep_unprot_unmap(struct fx *f, unsigned i, struct smc_args *a)
{
	if (chk(f, "RTT_UNPROT_MAP", fx_smc(f, NULL, RMI_RTT_UNPROT_MAP, f->rd, ns_ipa(i),
					     ns_ipa(i) + GRANULE_SIZE, UNPROT_FLAGS,
					     range_desc(f->pool[i], 1, 3, true))))
		return -1;
	return ARGS(RMI_RTT_UNPROT_UNMAP, f->rd, ns_ipa(i), ns_ipa(i) + GRANULE_SIZE, 0);
}

/* -- RIPAS -- */

/* INIT_RIPAS needs a NEW realm and an unassigned EMPTY granule: a fresh
 * one per command. */
static int prep_init_ripas(struct fx *f, unsigned i, struct smc_args *a)
{
	uint64_t ipa;

	(void)i;
	if (fx_fresh_ipa(f, false, &ipa))
		return -1;
	return ARGS(RMI_RTT_INIT_RIPAS, f->rd, ipa, ipa + GRANULE_SIZE);
}

static int setup_init_ripas(struct fx *f, unsigned batch)
{
	(void)batch;
	return fx_realm(f, false);
}

static int undo_init_ripas(struct fx *f, unsigned i, const struct smc_args *a,
			   const struct smc_res *r)
{
	(void)i;
	if (r->x[1] != a->x[2]) {
		snprintf(f->err, sizeof(f->err), "RTT_INIT_RIPAS stopped short of top");
		return -1;
	}
	return 0;
}

static struct guest_prog set_ripas_guest;

/* The REC's guest asks for RIPAS changes of one granule; every command
 * needs a REC_ENTER (untimed) that leaves a RIPAS_CHANGE exit pending. */
static int setup_set_ripas(struct fx *f, unsigned batch)
{
	(void)batch;
	set_ripas_guest = (struct guest_prog){ .kind = SIM_GOP_IPA_STATE_SET, .ipa = IPA_DATA,
					       .ripas = RSI_EMPTY };
	if (fx_realm(f, false) || fx_rtt_to(f, IPA_DATA, 3) ||
	    chk(f, "RTT_INIT_RIPAS", fx_smc(f, NULL, RMI_RTT_INIT_RIPAS, f->rd, IPA_DATA,
					     IPA_DATA + GRANULE_SIZE, 0, 0)))
		return -1;
	return fx_rec_with_guest(f, &set_ripas_guest);
}

static int prep_set_ripas(struct fx *f, unsigned i, struct smc_args *a)
{
	struct rmi_rec_run *run = phys_va(f->pm, f->run);

	(void)i;
	if (chk(f, "REC_ENTER", fx_rec_enter(f)))
		return -1;
	if (run->exit.exit_reason != RMI_EXIT_RIPAS_CHANGE) {
		snprintf(f->err, sizeof(f->err), "REC_ENTER: exit %llu, not RIPAS_CHANGE",
			 (unsigned long long)run->exit.exit_reason);
		return -1;
	}
	return ARGS(RMI_RTT_SET_RIPAS, f->rd, f->rec, run->exit.ripas_base, run->exit.ripas_top);
}

/* -- realms and RECs -- */

static int prep_realm_create(struct fx *f, unsigned i, struct smc_args *a)
{
	if (fx_realm_args(f, &f->pool[i], &f->pool2[i]))
		return -1;
	return ARGS(RMI_REALM_CREATE, f->pool[i], f->pool2[i]);
}

/* Give a realm's granules back (after REALM_DESTROY): undelegate RD and
 * root RTTs, free the pages, and the VMID is free again. */
static void realm_granules_release(struct fx *f, unsigned i)
{
	struct rmi_realm_params *p = phys_va(f->pm, f->pool2[i]);
	uint64_t rtt = p->rtt_base;

	for (uint64_t g = 0; g < 1 + f->num_root; g++) {
		uint64_t pa = g ? rtt + (g - 1) * GRANULE_SIZE : f->pool[i];

		if (f->abi == RMI_ABI_1_0)
			fx_smc(f, NULL, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0);
		else
			fx_smc(f, NULL, RMI_GRANULE_RANGE_UNDELEGATE, pa, pa + GRANULE_SIZE, 0, 0, 0);
	}
	phys_free(f->pm, f->pool[i], 1);
	phys_free(f->pm, rtt, f->num_root);
	phys_free(f->pm, f->pool2[i], 1);
	f->next_vmid--;
}

/* RMI 2.0 destroys only a terminated realm (REALM_TERMINATE first). */
static int realm_terminate(struct fx *f, unsigned i)
{
	if (f->abi == RMI_ABI_1_0)
		return 0;
	return chk(f, "REALM_TERMINATE",
		   fx_smc(f, NULL, RMI_REALM_TERMINATE, f->pool[i], 0, 0, 0, 0));
}

static int realm_release(struct fx *f, unsigned i)
{
	if (realm_terminate(f, i) ||
	    chk(f, "REALM_DESTROY", fx_smc(f, NULL, RMI_REALM_DESTROY, f->pool[i], 0, 0, 0, 0)))
		return -1;
	realm_granules_release(f, i);
	return 0;
}

static int undo_realm_create(struct fx *f, unsigned i, const struct smc_args *a,
			     const struct smc_res *r)
{
	(void)a;
	(void)r;
	return realm_release(f, i);
}

static int prep_realm_destroy(struct fx *f, unsigned i, struct smc_args *a)
{
	if (fx_realm_args(f, &f->pool[i], &f->pool2[i]) ||
	    chk(f, "REALM_CREATE", fx_smc(f, NULL, RMI_REALM_CREATE, f->pool[i], f->pool2[i], 0, 0, 0)) ||
	    realm_terminate(f, i))
		return -1;
	return ARGS(RMI_REALM_DESTROY, f->pool[i]);
}

static int undo_realm_destroy(struct fx *f, unsigned i, const struct smc_args *a,
			      const struct smc_res *r)
{
	(void)a;
	(void)r;
	realm_granules_release(f, i); /* destroyed already */
	return 0;
}

static int prep_realm_activate(struct fx *f, unsigned i, struct smc_args *a)
{
	if (fx_realm_args(f, &f->pool[i], &f->pool2[i]) ||
	    chk(f, "REALM_CREATE", fx_smc(f, NULL, RMI_REALM_CREATE, f->pool[i], f->pool2[i], 0, 0, 0)))
		return -1;
	return ARGS(RMI_REALM_ACTIVATE, f->pool[i]);
}

/* RECs of one NEW realm; REC indices only grow (the RMM requires the
 * next index), so each prep takes a fresh MPIDR. */
static int setup_rec(struct fx *f, unsigned batch)
{
	if (fx_realm(f, false))
		return -1;
	for (unsigned i = 0; i < batch; i++)
		if ((f->pool[i] = fx_delegated(f, 1, GRANULE_SIZE)) == PHYS_NONE ||
		    (f->pool2[i] = fx_pages(f, 1, GRANULE_SIZE)) == PHYS_NONE)
			return -1;
	return 0;
}

/* REC indices only grow and MPIDR has room for 2^20 of them: a long run
 * moves on to a fresh NEW realm between batches (the old one keeps only
 * its RD and root RTTs; its RECs are destroyed). */
#define REC_INDEX_REFRESH (1u << 16)

/* REC_CREATE reads its parameters when it runs: one page per command. */
static int rec_params_next(struct fx *f, unsigned i)
{
	if (i == 0 && f->next_rec_index >= REC_INDEX_REFRESH) {
		if (fx_realm(f, false))
			return -1;
		f->next_rec_index = 0;
	}

	struct rmi_rec_params *p = phys_va(f->pm, f->pool2[i]);

	memset(p, 0, sizeof(*p));
	p->flags = REC_PARAMS_FLAG_RUNNABLE;
	p->mpidr = mpidr_of_index(f->next_rec_index++);
	return 0;
}

static int prep_rec_create(struct fx *f, unsigned i, struct smc_args *a)
{
	if (rec_params_next(f, i))
		return -1;
	return ARGS(RMI_REC_CREATE, f->rd, f->pool[i], f->pool2[i]);
}

static int undo_rec_create(struct fx *f, unsigned i, const struct smc_args *a,
			   const struct smc_res *r)
{
	(void)a;
	(void)r;
	return chk(f, "REC_DESTROY", fx_smc(f, NULL, RMI_REC_DESTROY, f->pool[i], 0, 0, 0, 0));
}

static int prep_rec_destroy(struct fx *f, unsigned i, struct smc_args *a)
{
	if (rec_params_next(f, i) ||
	    chk(f, "REC_CREATE", fx_smc(f, NULL, RMI_REC_CREATE, f->rd, f->pool[i], f->pool2[i], 0, 0)))
		return -1;
	return ARGS(RMI_REC_DESTROY, f->pool[i]);
}

static int prep_rec_aux_count(struct fx *f, unsigned i, struct smc_args *a)
{
	(void)i;
	return ARGS(RMI_REC_AUX_COUNT, f->rd);
}

static int setup_realm_new(struct fx *f, unsigned batch)
{
	(void)batch;
	return fx_realm(f, false);
}

static struct guest_prog host_call_guest = { .kind = SIM_GOP_HOST_CALL };

static int setup_rec_enter(struct fx *f, unsigned batch)
{
	(void)batch;
	return fx_realm(f, false) || fx_rec_with_guest(f, &host_call_guest) ? -1 : 0;
}

static int prep_rec_enter(struct fx *f, unsigned i, struct smc_args *a)
{
	(void)i;
	return ARGS(RMI_REC_ENTER, f->rec, f->run);
}

static int undo_rec_enter(struct fx *f, unsigned i, const struct smc_args *a,
			  const struct smc_res *r)
{
	const struct rmi_rec_run *run = phys_va(f->pm, f->run);

	(void)i;
	(void)a;
	(void)r;
	if (run->exit.exit_reason != RMI_EXIT_HOST_CALL) {
		snprintf(f->err, sizeof(f->err), "REC_ENTER: exit %llu, not HOST_CALL",
			 (unsigned long long)run->exit.exit_reason);
		return -1;
	}
	return 0;
}

static const struct rmi_case rmi_cases[] = {
	{ "VERSION", NULL, ABI_BOTH, 64, "RMI_VERSION with the model's own version",
	  setup_none, prep_version, undo_none },
	{ "FEATURES", NULL, ABI_BOTH, 64, "RMI_FEATURES index 0",
	  setup_none, prep_features, undo_none },
	{ "GRANULE_DELEGATE", NULL, ABI_1, 64, "delegate one NS granule (undelegated untimed)",
	  setup_ns_pool, prep_delegate, undo_delegate },
	{ "GRANULE_UNDELEGATE", NULL, ABI_1, 64, "undelegate one granule (delegated untimed)",
	  setup_ns_pool, prep_undelegate, undo_none },
	{ "GRANULE_RANGE_DELEGATE", "4K", ABI_2, 64, "delegate a 4 KiB range",
	  setup_ns_pool, prep_range_delegate_4k, undo_range_delegate },
	{ "GRANULE_RANGE_DELEGATE", "2M", ABI_2, 8, "delegate a 2 MiB range (512 granules)",
	  setup_ns_pool_2m, prep_range_delegate_2m, undo_range_delegate },
	{ "GRANULE_RANGE_UNDELEGATE", "4K", ABI_2, 64, "undelegate a 4 KiB range",
	  setup_ns_pool, prep_range_undelegate_4k, undo_range_check },
	{ "GRANULE_RANGE_UNDELEGATE", "2M", ABI_2, 8, "undelegate (and scrub) a 2 MiB range",
	  setup_ns_pool_2m, prep_range_undelegate_2m, undo_range_check },
	{ "DATA_CREATE", NULL, ABI_1, 64, "NEW realm: copy one NS page into a data granule, unmeasured",
	  setup_data_new, prep_data_create, undo_data_fresh },
	{ "DATA_CREATE_UNKNOWN", NULL, ABI_1, 64, "map one delegated granule, level-3 RTT present",
	  setup_data_active, prep_data_create_unknown, undo_data },
	{ "DATA_DESTROY", NULL, ABI_1, 64, "unmap one data granule",
	  setup_data_active, prep_data_destroy, undo_none },
	{ "RTT_DATA_MAP_INIT", NULL, ABI_2, 64, "NEW realm: copy one NS page into a data granule, unmeasured",
	  setup_data_new, prep_data_map_init, undo_data_fresh },
	{ "RTT_DATA_MAP", "4K", ABI_2, 64, "map one delegated granule (SINGLE), level-3 RTT present",
	  setup_data_active, prep_data_map, undo_data },
	{ "RTT_DATA_MAP", "2M", ABI_2, 8, "map a 2 MiB block of delegated granules at level 2",
	  setup_block, prep_block_map, undo_block },
	{ "RTT_DATA_UNMAP", "4K", ABI_2, 64, "unmap one data granule",
	  setup_data_active, prep_data_unmap, undo_unmap_check },
	{ "RTT_DATA_UNMAP", "2M", ABI_2, 8, "unmap a 2 MiB block",
	  setup_block, prep_block_unmap, undo_unmap_check },
	{ "RTT_CREATE", NULL, ABI_BOTH, 64, "create an empty level-3 RTT",
	  setup_rtt, prep_rtt_create, undo_rtt_create },
	{ "RTT_CREATE", "unfold", ABI_BOTH, 8, "create a level-3 RTT under an assigned 2 MiB block (unfold)",
	  setup_fold, prep_unfold, undo_none },
	{ "RTT_DESTROY", NULL, ABI_BOTH, 64, "destroy an empty level-3 RTT",
	  setup_rtt, prep_rtt_destroy, undo_none },
	{ "RTT_FOLD", NULL, ABI_BOTH, 8, "fold a full level-3 RTT (512 assigned granules) into a block",
	  setup_fold, prep_fold, undo_fold },
	{ "RTT_READ_ENTRY", NULL, ABI_BOTH, 64, "read an assigned level-3 entry",
	  setup_read_entry, prep_rtt_read_entry, undo_none },
	{ "RTT_MAP_UNPROTECTED", NULL, ABI_1, 64, "map one NS page at an unprotected IPA",
	  setup_unprot, prep_map_unprotected, undo_map_unprotected },
	{ "RTT_UNMAP_UNPROTECTED", NULL, ABI_1, 64, "unmap one unprotected IPA",
	  setup_unprot, prep_unmap_unprotected, undo_none },
	{ "RTT_UNPROT_MAP", NULL, ABI_2, 64, "map one NS page at an unprotected IPA (SINGLE)",
	  setup_unprot, prep_unprot_map, undo_unprot_map },
	{ "RTT_UNPROT_UNMAP", NULL, ABI_2, 64, "unmap one unprotected IPA",
	  setup_unprot, prep_unprot_unmap, undo_none },
	{ "RTT_INIT_RIPAS", NULL, ABI_BOTH, 64, "NEW realm: RIPAS RAM for one unassigned granule",
	  setup_init_ripas, prep_init_ripas, undo_init_ripas },
	{ "RTT_SET_RIPAS", NULL, ABI_BOTH, 1, "apply a pending RIPAS_CHANGE of one granule (REC_ENTER untimed)",
	  setup_set_ripas, prep_set_ripas, undo_none },
	{ "REALM_CREATE", NULL, ABI_BOTH, 16, "create a realm (s2sz 40, 2 root RTTs)",
	  setup_none, prep_realm_create, undo_realm_create },
	{ "REALM_ACTIVATE", NULL, ABI_BOTH, 16, "activate a NEW realm",
	  setup_none, prep_realm_activate, undo_realm_create },
	{ "REALM_DESTROY", NULL, ABI_BOTH, 16, "destroy a NEW realm with no RTTs below the root",
	  setup_none, prep_realm_destroy, undo_realm_destroy },
	{ "REC_CREATE", NULL, ABI_BOTH, 64, "create a REC in a NEW realm",
	  setup_rec, prep_rec_create, undo_rec_create },
	{ "REC_DESTROY", NULL, ABI_BOTH, 64, "destroy a REC",
	  setup_rec, prep_rec_destroy, undo_none },
	{ "REC_AUX_COUNT", NULL, ABI_1, 64, "query auxiliary granules per REC",
	  setup_realm_new, prep_rec_aux_count, undo_none },
	{ "REC_ENTER", NULL, ABI_BOTH, 64,
	  "enter a REC, complete its HOST_CALL, run to the next HOST_CALL exit (no world switch)",
	  setup_rec_enter, prep_rec_enter, undo_rec_enter },
};

#define N_RMI_CASES (sizeof(rmi_cases) / sizeof(rmi_cases[0]))

struct rmi_bench {
	const struct rmi_case *c;
	enum rmi_abi abi;
};

static struct rmi_bench rmi_benches[2 * N_RMI_CASES];

static void fx_destroy(struct fx *f)
{
	if (f->rmm)
		rmm_destroy(f->rmm);
	if (f->pm)
		phys_destroy(f->pm);
}

static int fx_create(struct fx *f, enum rmi_abi abi)
{
	struct rmm_config cfg = { .abi = abi };

	memset(f, 0, sizeof(*f));
	f->abi = abi;
	f->next_vmid = 1;
	f->pm = phys_create(PHYS_DEFAULT_BASE, 4ULL << 30);
	f->rmm = f->pm ? rmm_create(&cfg, f->pm) : NULL;
	if (!f->rmm) {
		snprintf(f->err, sizeof(f->err), "setup: cannot create the RMM model");
		return -1;
	}
	f->conduit = rmm_conduit(f->rmm);
	return 0;
}

/* One timed batch: prep all, issue all between two clock reads, check
 * and undo all. Returns the mean ns per command, or -1 (f->err set). */
static double run_batch(struct fx *f, const struct rmi_case *c, unsigned batch)
{
	struct smc_args args[MAX_BATCH];
	struct smc_res res[MAX_BATCH];

	for (unsigned i = 0; i < batch; i++)
		if (c->prep(f, i, &args[i]))
			return -1;
	uint64_t t0 = stage_clock_now();
	for (unsigned i = 0; i < batch; i++)
		smc_call(&f->conduit, &args[i], &res[i]);
	uint64_t t1 = stage_clock_now();
	for (unsigned i = 0; i < batch; i++) {
		if (res[i].x[0] != RMI_SUCCESS) {
			snprintf(f->err, sizeof(f->err), "%s returned %s (index %u), expected RMI_SUCCESS",
				 c->cmd, res[i].x[0] == SMC_UNKNOWN ? "SMC_UNKNOWN"
				 : rmi_status_name(RMI_RETURN_STATUS(res[i].x[0])),
				 RMI_RETURN_INDEX(res[i].x[0]));
			return -1;
		}
		if (c->undo(f, i, &args[i], &res[i]))
			return -1;
	}
	return (double)stage_clock_ticks_to_ns(t1 - t0) / batch;
}

static void rmi_case_run(struct gb_state *st)
{
	const struct rmi_bench *b = gb_user(st);
	const struct rmi_case *c = b->c;
	struct gbench_samples s = { 0 };
	struct fx f;
	unsigned left = 0;
	double per = 0;

	if (fx_create(&f, b->abi) || c->setup(&f, c->batch)) {
		gb_skip_with_error(st, f.err);
		fx_destroy(&f);
		return;
	}
	while (gb_keep_running(st)) {
		if (!left) {
			per = run_batch(&f, c, c->batch);
			if (per < 0 || gbench_samples_add(&s, per)) {
				gb_skip_with_error(st, per < 0 ? f.err : "out of memory");
				break;
			}
			left = c->batch;
		}
		gb_set_iteration_time(st, per * 1e-9);
		left--;
	}
	gbench_report_median(st, s.v, s.n);
	gb_counter(st, "batch", c->batch, GB_COUNTER_DEFAULT);
	char label[200];
	snprintf(label, sizeof(label), "sim-measured; RMI %s; %s; time per command, batch of %u",
		 b->abi == RMI_ABI_1_0 ? "1.0" : "2.0", c->what, c->batch);
	gb_set_label(st, label);
	gbench_samples_free(&s);
	fx_destroy(&f);
}

int rmi_cases_register(const struct gbench_case_opts *o)
{
	size_t n = 0;

	for (int abi = RMI_ABI_1_0; abi <= RMI_ABI_2_0; abi++) {
		for (size_t i = 0; i < N_RMI_CASES; i++) {
			const struct rmi_case *c = &rmi_cases[i];
			char name[96];

			if (!(c->abis & (1u << abi)) || (o->abi >= 0 && o->abi != abi))
				continue;
			snprintf(name, sizeof(name), "rmi/%s/%s%s%s", abi == RMI_ABI_1_0 ? "1.0" : "2.0",
				 c->cmd, c->variant ? "/" : "", c->variant ? c->variant : "");
			rmi_benches[n] = (struct rmi_bench){ c, (enum rmi_abi)abi };
			struct gb_bench *b = gb_register(name, rmi_case_run, &rmi_benches[n++]);
			if (!b || gb_use_manual_time(b) || gb_unit(b, GB_UNIT_NS) ||
			    gb_min_time(b, o->min_time))
				return -1;
		}
	}
	return 0;
}
