/*
 * Property test: seeded random command sequences against one realm, with
 * the model's invariant checker after every step, for both ABIs.
 *
 *   rmm_property_test [seed] [steps]
 *
 * The seed is printed on failure; rerun with it to reproduce. Statuses are
 * not predicted (any status is legal for random input); what must hold is
 * rmm_sim_check_invariants(): no granule in two states, no DATA granule
 * mapped twice, TABLE entries point to RTTs of the next level, RTT
 * refcounts equal live entries, nothing delegated mapped unprotected.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/rsi.h"
#include "rmm_test_util.h"

#define POOL_PAGES  48
#define NS_PAGES    8
#define PROT_WINDOW (4ULL << 20)          /* protected IPAs [0, 4 MiB) */
#define NS_BASE     (1ULL << 31)          /* 32-bit realm: upper half */
#define SZ_2M       (2ULL << 20)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t pick(uint64_t n) { return rnd() % n; }

struct world {
	struct tmachine m;
	struct trealm r;
	uint64_t pool[POOL_PAGES];
	uint64_t block;                        /* 512 delegatable pages, 2 MiB aligned */
	uint64_t ns[NS_PAGES];
	uint64_t rec, run;
	bool active;
	/* the guest program: random accesses, sometimes an RSI call */
	unsigned guest_ops;
	struct sim_gop cur;
	bool have_cur;
};

static uint64_t any_pa(struct world *w)
{
	unsigned k = (unsigned)pick(4);

	if (k == 0)
		return w->block + pick(512) * GRANULE_SIZE;
	if (k == 1)
		return w->ns[pick(NS_PAGES)];
	return w->pool[pick(POOL_PAGES)];
}

static uint64_t prot_ipa(int level)
{
	uint64_t size = 1ULL << (12 + 9 * (3 - level));
	return pick(PROT_WINDOW / size) * size;
}

static uint64_t ns_ipa(int level)
{
	return NS_BASE + prot_ipa(level);
}

static uint64_t any_ipa(int level)
{
	return pick(2) ? prot_ipa(level) : ns_ipa(level);
}

/* ---- the guest ---- */

static bool g_peek(void *ctx, struct sim_gop *op)
{
	struct world *w = ctx;

	if (!w->have_cur) {
		unsigned k = (unsigned)pick(10);

		memset(&w->cur, 0, sizeof(w->cur));
		if (k < 8) {
			w->cur.kind = k & 1 ? SIM_GOP_WRITE : SIM_GOP_READ;
			w->cur.ipa = any_ipa(3) + pick(512) * 8;
			w->cur.value = rnd();
		} else if (k == 8) {
			w->cur.kind = SIM_GOP_IPA_STATE_SET;
			w->cur.ipa = prot_ipa(3);
			w->cur.top = w->cur.ipa + (1 + pick(8)) * GRANULE_SIZE;
			w->cur.ripas = (uint8_t)pick(2);
			w->cur.flags = (uint8_t)pick(2);
		} else {
			w->cur.kind = SIM_GOP_HOST_CALL;
		}
		w->have_cur = true;
	}
	*op = w->cur;
	return true;
}

static void g_complete(void *ctx, const struct sim_gop_result *res)
{
	(void)res;
	((struct world *)ctx)->have_cur = false;
}

static void g_exited(void *ctx, unsigned reason)
{
	(void)ctx;
	(void)reason;
}

static const struct sim_guest_ops guest_ops = { g_peek, g_complete, g_exited };

/* ---- one random step; returns the command's name for the failure log ---- */

static const char *step_common(struct world *w, unsigned k)
{
	struct tmachine *m = &w->m;
	uint64_t rd = w->r.rd;
	struct smc_res res;
	int level = 2 + (int)pick(2);

	switch (k) {
	case 0:
		SMC(m, RMI_RTT_CREATE, rd, any_pa(w), any_ipa(level), (uint64_t)level);
		return "RTT_CREATE";
	case 1:
		if (SMCR(m, &res, RMI_RTT_DESTROY, rd, any_ipa(level), (uint64_t)level) == RMI_SUCCESS)
			SMC(m, m->abi == RMI_ABI_1_0 ? RMI_GRANULE_UNDELEGATE : RMI_GRANULE_RANGE_UNDELEGATE,
			    res.x[1], res.x[1] + GRANULE_SIZE);
		return "RTT_DESTROY";
	case 2:
		SMC(m, RMI_RTT_FOLD, rd, any_ipa(level), (uint64_t)level);
		return "RTT_FOLD";
	case 3:
		SMC(m, RMI_RTT_READ_ENTRY, rd, any_ipa(level), (uint64_t)level);
		return "RTT_READ_ENTRY";
	case 4:
		if (!w->active) {
			uint64_t base = prot_ipa(3);
			SMC(m, RMI_RTT_INIT_RIPAS, rd, base, base + (1 + pick(600)) * GRANULE_SIZE);
			return "RTT_INIT_RIPAS";
		}
		return "nothing";
	case 5: {
		uint64_t st;
		struct rmi_rec_run *run = phys_va(m->pm, w->run);

		if (!w->active) {
			w->active = SMC(m, RMI_REALM_ACTIVATE, rd) == RMI_SUCCESS;
			return "REALM_ACTIVATE";
		}
		run->entry.flags = pick(4) == 0 ? REC_ENTRY_FLAG_INJECT_SEA
				   : pick(3) == 0 ? REC_ENTRY_FLAG_RIPAS_RESPONSE : 0;
		st = SMC(m, RMI_REC_ENTER, w->rec, w->run);
		if (st == RMI_SUCCESS && run->exit.exit_reason == RMI_EXIT_RIPAS_CHANGE && pick(2)) {
			uint64_t base = run->exit.ripas_base, top = run->exit.ripas_top;
			while (SMCR(m, &res, RMI_RTT_SET_RIPAS, rd, w->rec, base, top) == RMI_SUCCESS)
				base = res.x[1];
		}
		return "REC_ENTER";
	}
	case 6: {
		/* fill a 2 MiB region from the block pool, then try to fold it */
		uint64_t ipa = prot_ipa(2);
		tm_rtt_create_to(m, &w->r, ipa, 3);
		for (unsigned i = 0; i < 512; i++) {
			uint64_t pa = w->block + i * GRANULE_SIZE;
			if (m->abi == RMI_ABI_1_0) {
				SMC(m, RMI_GRANULE_DELEGATE, pa);
				SMC(m, RMI_DATA_CREATE_UNKNOWN, rd, pa, ipa + i * GRANULE_SIZE);
			} else {
				SMC(m, RMI_GRANULE_RANGE_DELEGATE, pa, pa + GRANULE_SIZE);
				SMC(m, RMI_RTT_DATA_MAP, rd, ipa + i * GRANULE_SIZE, ipa + (i + 1) * GRANULE_SIZE,
				    1, pa | (1 << 2));
			}
		}
		if (SMCR(m, &res, RMI_RTT_FOLD, rd, ipa, 3) == RMI_SUCCESS)
			SMC(m, m->abi == RMI_ABI_1_0 ? RMI_GRANULE_UNDELEGATE : RMI_GRANULE_RANGE_UNDELEGATE,
			    res.x[1], res.x[1] + GRANULE_SIZE);
		return "fill+RTT_FOLD";
	}
	}
	return NULL;
}

static const char *step_1_0(struct world *w, unsigned k)
{
	struct tmachine *m = &w->m;
	uint64_t rd = w->r.rd;
	int level = 2 + (int)pick(2);

	switch (k) {
	case 0:
		SMC(m, RMI_GRANULE_DELEGATE, any_pa(w));
		return "GRANULE_DELEGATE";
	case 1:
		SMC(m, RMI_GRANULE_UNDELEGATE, any_pa(w));
		return "GRANULE_UNDELEGATE";
	case 2:
		SMC(m, RMI_DATA_CREATE_UNKNOWN, rd, any_pa(w), any_ipa(3));
		return "DATA_CREATE_UNKNOWN";
	case 3:
		if (SMC(m, RMI_DATA_DESTROY, rd, any_ipa(3)) == RMI_SUCCESS && pick(2))
			return "DATA_DESTROY";
		return "DATA_DESTROY";
	case 4: {
		uint64_t pa = any_pa(w) & ~(level == 2 ? SZ_2M - 1 : 0);
		SMC(m, RMI_RTT_MAP_UNPROTECTED, rd, ns_ipa(level), (uint64_t)level,
		    pa | (5ULL << 2) | (3ULL << 6) | (3ULL << 8));
		return "RTT_MAP_UNPROTECTED";
	}
	case 5:
		SMC(m, RMI_RTT_UNMAP_UNPROTECTED, rd, ns_ipa(level), (uint64_t)level);
		return "RTT_UNMAP_UNPROTECTED";
	}
	return NULL;
}

static uint64_t desc(uint64_t pa, unsigned cnt, int level, unsigned st)
{
	return pa | ((uint64_t)cnt << 2) | (uint64_t)(3 - level) | ((uint64_t)st << 63);
}

static const char *step_2_0(struct world *w, unsigned k)
{
	struct tmachine *m = &w->m;
	uint64_t rd = w->r.rd;
	int level = pick(8) ? 3 : 2;
	uint64_t pa = any_pa(w);

	switch (k) {
	case 0:
		SMC(m, RMI_GRANULE_RANGE_DELEGATE, pa, pa + (1 + pick(4)) * GRANULE_SIZE);
		return "GRANULE_RANGE_DELEGATE";
	case 1:
		SMC(m, RMI_GRANULE_RANGE_UNDELEGATE, pa, pa + (1 + pick(4)) * GRANULE_SIZE);
		return "GRANULE_RANGE_UNDELEGATE";
	case 2: {
		uint64_t ipa = any_ipa(level), n = 1 + pick(4);
		uint64_t size = 1ULL << (12 + 9 * (3 - level));
		if (level == 2)
			pa = w->block;
		SMC(m, RMI_RTT_DATA_MAP, rd, ipa, ipa + n * size, 1, desc(pa, (unsigned)n, level, 0));
		return "RTT_DATA_MAP";
	}
	case 3: {
		uint64_t ipa = any_ipa(3);
		SMC(m, RMI_RTT_DATA_UNMAP, rd, ipa, ipa + (1 + pick(8)) * GRANULE_SIZE, pick(2), 0);
		return "RTT_DATA_UNMAP";
	}
	case 4: {
		uint64_t ipa = any_ipa(3), n = 1 + pick(3);
		SMC(m, RMI_RTT_UNPROT_MAP, rd, ipa, ipa + n * GRANULE_SIZE, 1 | (5ULL << 16) | (3ULL << 19),
		    desc(pa, (unsigned)n, 3, 1));
		return "RTT_UNPROT_MAP";
	}
	case 5: {
		uint64_t ipa = any_ipa(3);
		SMC(m, RMI_RTT_UNPROT_UNMAP, rd, ipa, ipa + (1 + pick(8)) * GRANULE_SIZE, pick(2), 0);
		return "RTT_UNPROT_UNMAP";
	}
	}
	return NULL;
}

static int run(enum rmi_abi abi, uint64_t seed, unsigned steps)
{
	struct world w;
	struct rmm_config cfg = { .abi = abi, .guest_ops_per_entry = 8 };
	char why[256];

	memset(&w, 0, sizeof(w));
	rng_state = seed ? seed : 1;
	tm_init_cfg(&w.m, &cfg);
	if (tm_realm_create(&w.m, &w.r, 32, 1) != RMI_SUCCESS) {
		fprintf(stderr, "realm create failed\n");
		return 1;
	}
	for (unsigned i = 0; i < POOL_PAGES; i++)
		w.pool[i] = tm_page(&w.m);
	for (unsigned i = 0; i < NS_PAGES; i++)
		w.ns[i] = tm_page(&w.m);
	w.block = phys_alloc(w.m.pm, 512, SZ_2M);
	w.rec = tm_rec_create(&w.m, &w.r, 0);
	w.run = tm_page(&w.m);
	rmm_sim_rec_attach_guest(w.m.rmm, w.rec, (struct sim_guest){ &guest_ops, &w });

	for (unsigned s = 0; s < steps; s++) {
		unsigned k = (unsigned)pick(100);
		const char *what;

		if (k < 45)
			what = step_common(&w, k < 44 ? k % 6 : 6);
		else
			what = (abi == RMI_ABI_1_0 ? step_1_0 : step_2_0)(&w, k % 6);
		if (rmm_sim_check_invariants(w.m.rmm, why, sizeof(why))) {
			fprintf(stderr, "ABI %s seed %llu step %u after %s: %s\n",
				abi == RMI_ABI_1_0 ? "1.0" : "2.0", (unsigned long long)seed, s, what, why);
			tm_fini(&w.m);
			return 1;
		}
	}
	struct rmm_counts c;
	rmm_counts_read(w.m.rmm, &c);
	uint64_t ok = 0, total = 0;
	for (int i = 0; i < RMM_MAX_COMMANDS; i++)
		for (int st = 0; st < RMI_STATUS_COUNT; st++) {
			total += c.cmd[i][st];
			ok += st == RMI_SUCCESS ? c.cmd[i][st] : 0;
		}
	printf("ABI %s seed %llu: %u steps, %llu SMCs (%llu succeeded), %llu guest accesses, %llu SEAs\n",
	       abi == RMI_ABI_1_0 ? "1.0" : "2.0", (unsigned long long)seed, steps,
	       (unsigned long long)total, (unsigned long long)ok,
	       (unsigned long long)c.event[RMM_EV_GUEST_ACCESS],
	       (unsigned long long)c.event[RMM_EV_SEA_INJECTED]);
	/* the run must have exercised the model, not just bounced off it */
	if (ok < steps / 10) {
		fprintf(stderr, "too few successful commands: the generator is broken\n");
		tm_fini(&w.m);
		return 1;
	}
	tm_fini(&w.m);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
	unsigned steps = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3000;
	int fails = 0;

	printf("seed %llu (rerun: rmm_property_test %llu %u)\n", (unsigned long long)seed,
	       (unsigned long long)seed, steps);
	fails += run(RMI_ABI_1_0, seed, steps);
	fails += run(RMI_ABI_2_0, seed, steps);
	return fails ? 1 : 0;
}
