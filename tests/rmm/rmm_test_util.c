#include "rmm_test_util.h"

#include <stdlib.h>
#include <string.h>

int t_failures;

uint64_t tm_dram_size = 1ULL << 30;

void tm_init_cfg(struct tmachine *m, const struct rmm_config *cfg)
{
	m->pm = phys_create(PHYS_DEFAULT_BASE, tm_dram_size);
	if (!m->pm) {
		fprintf(stderr, "phys_create failed\n");
		exit(2);
	}
	m->abi = cfg->abi;
	m->emit = NULL;
	m->emit_fn = NULL;
	m->rmm = rmm_create(cfg, m->pm);
	if (!m->rmm) {
		fprintf(stderr, "rmm_create failed\n");
		exit(2);
	}
}

void tm_init(struct tmachine *m, enum rmi_abi abi)
{
	struct rmm_config cfg = { .abi = abi };

	tm_init_cfg(m, &cfg);
}

void tm_fini(struct tmachine *m)
{
	rmm_destroy(m->rmm);
	phys_destroy(m->pm);
}

uint64_t tm_smc(struct tmachine *m, struct smc_res *res, uint64_t fid, uint64_t x1, uint64_t x2,
		uint64_t x3, uint64_t x4, uint64_t x5)
{
	struct smc_args a = { .fid = fid, .x = { x1, x2, x3, x4, x5, 0 } };
	struct smc_res r;

	rmm_smc(m->rmm, &a, res ? res : &r);
	if (m->emit && m->emit_fn)
		m->emit_fn(m, &a, res ? res : &r);
	return res ? res->x[0] : r.x[0];
}

uint64_t tm_page(struct tmachine *m)
{
	uint64_t pa = phys_alloc(m->pm, 1, PHYS_PAGE_SIZE);

	if (pa == PHYS_NONE) {
		fprintf(stderr, "out of DRAM\n");
		exit(2);
	}
	return pa;
}

static uint64_t delegate(struct tmachine *m, uint64_t pa, unsigned npages)
{
	uint64_t top = pa + (uint64_t)npages * GRANULE_SIZE;

	if (m->abi == RMI_ABI_1_0) {
		for (uint64_t a = pa; a < top; a += GRANULE_SIZE)
			if (tm_smc(m, NULL, RMI_GRANULE_DELEGATE, a, 0, 0, 0, 0) != RMI_SUCCESS)
				return 1;
		return 0;
	}
	for (uint64_t a = pa; a < top;) {
		struct smc_res r;

		if (tm_smc(m, &r, RMI_GRANULE_RANGE_DELEGATE, a, top, 0, 0, 0) != RMI_SUCCESS)
			return 1;
		a = r.x[1];
	}
	return 0;
}

uint64_t tm_delegated(struct tmachine *m)
{
	return tm_delegated_range(m, 1, GRANULE_SIZE);
}

uint64_t tm_delegated_range(struct tmachine *m, unsigned npages, uint64_t align)
{
	uint64_t pa = phys_alloc(m->pm, npages, align);

	if (pa == PHYS_NONE || delegate(m, pa, npages)) {
		fprintf(stderr, "cannot delegate %u pages\n", npages);
		exit(2);
	}
	return pa;
}

uint64_t tm_realm_create(struct tmachine *m, struct trealm *r, unsigned s2sz, int sl)
{
	unsigned bits = (unsigned)(3 - sl) * 9 + 12 + 9;
	struct rmi_realm_params *p;
	static unsigned next_vmid = 1;

	memset(r, 0, sizeof(*r));
	r->s2sz = s2sz;
	r->sl = sl;
	r->num_root = bits >= s2sz ? 1 : 1u << (s2sz - bits);
	r->rd = tm_delegated(m);
	r->rtt_base = tm_delegated_range(m, r->num_root, r->num_root * GRANULE_SIZE);
	r->params = tm_page(m);
	p = phys_va(m->pm, r->params);
	memset(p, 0, sizeof(*p));
	p->s2sz = s2sz;
	p->hash_algo = RMI_HASH_SHA_256;
	p->vmid = next_vmid++;
	p->rtt_base = r->rtt_base;
	p->rtt_level_start = sl;
	p->rtt_num_start = r->num_root;
	p->num_bps = 1;   /* 0 is reserved */
	p->num_wps = 1;
	return tm_smc(m, NULL, RMI_REALM_CREATE, r->rd, r->params, 0, 0, 0);
}

void tm_rtt_create_to(struct tmachine *m, struct trealm *r, uint64_t ipa, int level)
{
	for (int l = r->sl + 1; l <= level; l++) {
		uint64_t mask = (1ULL << (12 + 9 * (3 - l + 1))) - 1;
		uint64_t rtt = tm_delegated(m);
		uint64_t ret = tm_smc(m, NULL, RMI_RTT_CREATE, r->rd, rtt, ipa & ~mask, (uint64_t)l, 0);

		if (ret != RMI_SUCCESS)   /* already there: give the page back */
			tm_smc(m, NULL, m->abi == RMI_ABI_1_0 ? RMI_GRANULE_UNDELEGATE
						: RMI_GRANULE_RANGE_UNDELEGATE,
			       rtt, rtt + GRANULE_SIZE, 0, 0, 0);
	}
}

uint64_t tm_rec_create(struct tmachine *m, struct trealm *r, uint64_t mpidr)
{
	uint64_t rec = tm_delegated(m), params = tm_page(m);
	struct rmi_rec_params *p = phys_va(m->pm, params);
	struct smc_res res;

	memset(p, 0, sizeof(*p));
	p->flags = REC_PARAMS_FLAG_RUNNABLE;
	p->mpidr = mpidr;
	/* RMI 1.0: as many auxiliary granules as the RMM asks for. */
	if (m->abi == RMI_ABI_1_0 &&
	    tm_smc(m, &res, RMI_REC_AUX_COUNT, r->rd, 0, 0, 0, 0) == RMI_SUCCESS &&
	    res.x[1] <= MAX_REC_AUX_GRANULES) {
		p->num_aux = res.x[1];
		for (uint64_t i = 0; i < res.x[1]; i++)
			p->aux[i] = tm_delegated(m);
	}
	return tm_smc(m, NULL, RMI_REC_CREATE, r->rd, rec, params, 0, 0) == RMI_SUCCESS ? rec : 0;
}

uint64_t tm_map_data(struct tmachine *m, struct trealm *r, uint64_t ipa, uint64_t *pa_out)
{
	uint64_t pa = tm_delegated(m);

	if (pa_out)
		*pa_out = pa;
	if (m->abi == RMI_ABI_1_0)
		return tm_smc(m, NULL, RMI_DATA_CREATE_UNKNOWN, r->rd, pa, ipa, 0, 0);
	/* SINGLE descriptor: one 4 KiB block, delegated */
	return tm_smc(m, NULL, RMI_RTT_DATA_MAP, r->rd, ipa, ipa + GRANULE_SIZE, 1,
		      pa | (1ULL << 2));
}

void tm_check(struct tmachine *m, const char *when)
{
	char why[256];

	if (rmm_sim_check_invariants(m->rmm, why, sizeof(why))) {
		fprintf(stderr, "invariant broken %s: %s\n", when, why);
		t_failures++;
	}
}

int t_report(const char *name)
{
	if (t_failures)
		fprintf(stderr, "%s: %d failure(s)\n", name, t_failures);
	else
		printf("%s: ok\n", name);
	return t_failures ? 1 : 0;
}
