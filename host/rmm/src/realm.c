/*
 * Realm lifecycle: REALM_CREATE, REALM_ACTIVATE, REALM_DESTROY.
 */
#include <stdlib.h>
#include <string.h>

#include "phys/phys.h"
#include "rmm_internal.h"

#define REALM_FLAG_LPA2 (1ULL << 0)
#define REALM_FLAG_SVE  (1ULL << 1)
#define REALM_FLAG_PMU  (1ULL << 2)

bool vmid_reserve(struct rmm *rmm, unsigned vmid)
{
	if (vmid > RMM_MAX_VMID)
		return false;
	unsigned long long bit = 1ULL << (vmid % 64);
	unsigned long long old = atomic_fetch_or_explicit(&rmm->vmid_bitmap[vmid / 64], bit,
							   memory_order_acq_rel);
	return !(old & bit);
}

void vmid_free(struct rmm *rmm, unsigned vmid)
{
	atomic_fetch_and_explicit(&rmm->vmid_bitmap[vmid / 64], ~(1ULL << (vmid % 64)),
				  memory_order_acq_rel);
}

/* Number of bits one table walk starting at `sl` resolves without
 * concatenation, plus the page offset. */
static unsigned sl_ipa_bits(int sl)
{
	return (unsigned)(S2TT_PAGE_LEVEL - sl) * S2TTE_STRIDE + GRANULE_SHIFT + S2TTE_STRIDE;
}

/* AArch64.S2InconsistentSL: with 4 KiB granules a start level resolves
 * [min, min + 8] bits, or up to 4 more with 16 concatenated tables. */
static bool s2_inconsistent_sl(unsigned ipa_bits, int sl)
{
	unsigned min_bits = (unsigned)(S2TT_PAGE_LEVEL - sl) * S2TTE_STRIDE + GRANULE_SHIFT + 1;
	unsigned max_bits = min_bits + (S2TTE_STRIDE - 1) + (sl > 0 ? 4 : 0);

	return ipa_bits < min_bits || ipa_bits > max_bits;
}

static bool validate_ipa_bits_and_sl(const struct rmm *rmm, uint64_t ipa_bits, int64_t sl)
{
	if (ipa_bits < S2TT_MIN_IPA_BITS || ipa_bits > rmm->cfg.max_s2sz)
		return false;
	if (sl < S2TT_MIN_START_LEVEL || sl > S2TT_PAGE_LEVEL)
		return false;
	return !s2_inconsistent_sl((unsigned)ipa_bits, (int)sl);
}

unsigned s2_num_root_rtts(unsigned ipa_bits, int sl)
{
	unsigned bits = sl_ipa_bits(sl);

	return bits >= ipa_bits ? 1u : 1u << (ipa_bits - bits);
}

static bool validate_realm_params(struct rmm *rmm, const struct rmi_realm_params *p)
{
	if (p->flags & (REALM_FLAG_LPA2 | REALM_FLAG_SVE | REALM_FLAG_PMU))
		return false;   /* features the model does not offer */
	/* 0 breakpoints / watchpoints is reserved (DEN0137 RmiRealmParams;
	 * TF-RMM v0.8.0 and 9a7f8ef refuse it in validate_realm_params). */
	if (p->num_bps == 0 || p->num_wps == 0 ||
	    p->num_bps > rmm_model_num_bps() || p->num_wps > rmm_model_num_wps())
		return false;
	if (!validate_ipa_bits_and_sl(rmm, p->s2sz, p->rtt_level_start))
		return false;
	if (s2_num_root_rtts((unsigned)p->s2sz, (int)p->rtt_level_start) != p->rtt_num_start)
		return false;
	return p->hash_algo == RMI_HASH_SHA_256 || p->hash_algo == RMI_HASH_SHA_512;
}

/* Fill the starting-level tables: the PAR is unassigned EMPTY, the rest of
 * the IPA space unassigned NS. */
static void init_start_level(struct rmm *rmm, const struct realm *rd)
{
	uint64_t entry_size = s2tte_map_size(rd->start_level);
	uint64_t ipa = 0;

	for (unsigned t = 0; t < rd->num_root_rtts; t++) {
		uint64_t *table = rtt_table(rmm, rd->rtt_base + (uint64_t)t * GRANULE_SIZE);

		memset(table, 0, GRANULE_SIZE);
		for (unsigned i = 0; i < S2TTES_PER_S2TT && ipa < realm_ipa_size(rd);
		     i++, ipa += entry_size)
			table[i] = addr_in_par(rd, ipa) ? s2tte_create_unassigned_empty()
							: s2tte_create_unassigned_ns();
	}
}

/* Lock the RD and the starting-level RTTs (all DELEGATED) in address
 * order. */
static bool lock_rd_and_root_rtts(struct rmm *rmm, uint64_t rd_addr, uint64_t rtt_base,
				  unsigned num, struct granule **g_rd)
{
	struct granule *rd = NULL;
	unsigned locked = 0;

	if (rd_addr < rtt_base && !(rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_DELEGATED)))
		return false;
	for (; locked < num; locked++)
		if (!granule_find_lock(rmm, rtt_base + (uint64_t)locked * GRANULE_SIZE,
				       GRANULE_STATE_DELEGATED))
			goto unwind;
	if (!rd && !(rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_DELEGATED)))
		goto unwind;
	*g_rd = rd;
	return true;
unwind:
	while (locked--)
		granule_unlock(granule_find(rmm, rtt_base + (uint64_t)locked * GRANULE_SIZE));
	if (rd)
		granule_unlock(rd);
	return false;
}

void smc_realm_create(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], params_addr = args->x[1];
	const struct rmi_realm_params *ns = ns_granule_va(rmm, params_addr);
	struct rmi_realm_params p;
	struct granule *g_rd;
	bool use_vmid = rmm->cfg.abi == RMI_ABI_1_0;

	res->x[0] = RMI_ERROR_INPUT;
	if (!ns)
		return;
	memcpy(&p, ns, sizeof(p));
	if (!validate_realm_params(rmm, &p))
		return;
	/* 2.0 drops the VMID from RmiRealmParams: the RMM picks none here. */
	if (use_vmid && !vmid_reserve(rmm, (unsigned)p.vmid))
		return;
	if (rd_addr >= p.rtt_base && rd_addr < p.rtt_base + p.rtt_num_start * GRANULE_SIZE)
		goto free_vmid;
	if (!lock_rd_and_root_rtts(rmm, rd_addr, p.rtt_base, (unsigned)p.rtt_num_start, &g_rd))
		goto free_vmid;

	struct realm *rd = calloc(1, sizeof(*rd));
	if (!rd) {
		for (unsigned i = 0; i < p.rtt_num_start; i++)
			granule_unlock(granule_find(rmm, p.rtt_base + (uint64_t)i * GRANULE_SIZE));
		granule_unlock(g_rd);
		goto free_vmid;
	}
	rd->rd_pa = rd_addr;
	rd->ipa_bits = (unsigned)p.s2sz;
	rd->start_level = (int)p.rtt_level_start;
	rd->num_root_rtts = (unsigned)p.rtt_num_start;
	rd->rtt_base = p.rtt_base;
	rd->vmid = (unsigned)p.vmid;
	rd->vmid_reserved = use_vmid;
	rd->hash_algo = (unsigned)p.hash_algo;
	rd->num_rec_aux = rmm->cfg.abi == RMI_ABI_1_0 ? rmm->cfg.rec_aux_count : 0;
	atomic_init(&rd->state, REALM_NEW);
	init_start_level(rmm, rd);
	if (!rmm_rim_init(&rd->rim, rd->hash_algo, &p, sizeof(p))) {
		free(rd);
		for (unsigned i = 0; i < p.rtt_num_start; i++)
			granule_unlock(granule_find(rmm, p.rtt_base + (uint64_t)i * GRANULE_SIZE));
		granule_unlock(g_rd);
		goto free_vmid;
	}

	g_rd->obj = rd;
	granule_unlock_transition(g_rd, GRANULE_STATE_RD);
	for (unsigned i = 0; i < rd->num_root_rtts; i++)
		granule_unlock_transition(granule_find(rmm, rd->rtt_base + (uint64_t)i * GRANULE_SIZE),
					  GRANULE_STATE_RTT);
	res->x[0] = RMI_SUCCESS;
	return;
free_vmid:
	if (use_vmid)
		vmid_free(rmm, (unsigned)p.vmid);
}

void smc_realm_activate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	struct granule *g_rd = granule_find_lock(rmm, args->x[0], GRANULE_STATE_RD);
	struct realm *rd;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	if (realm_state(rd) != REALM_NEW) {
		res->x[0] = RMI_ERROR_REALM;
	} else {
		atomic_store_explicit(&rd->state, REALM_ACTIVE, memory_order_release);
		res->x[0] = RMI_SUCCESS;
	}
	granule_unlock(g_rd);
}

static unsigned root_rtts_refcount(struct rmm *rmm, const struct realm *rd)
{
	unsigned total = 0;

	for (unsigned i = 0; i < rd->num_root_rtts; i++)
		total += granule_refcount(granule_find(rmm, rd->rtt_base + (uint64_t)i * GRANULE_SIZE));
	return total;
}

/*
 * RMI 2.0 REALM_TERMINATE: the realm will never run again; REALM_DESTROY
 * needs it. As TF-RMM (9a7f8ef, runtime/rmi/realm.c): any state may be
 * terminated while no REC is running in it. The model's hosts terminate
 * after their vCPU threads have stopped, so no REC is inside then; a REC
 * entered concurrently is not detected here (TF-RMM counts running RECs).
 */
void smc_realm_terminate(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	struct granule *g_rd = granule_find_lock(rmm, args->x[0], GRANULE_STATE_RD);

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	atomic_store_explicit(&((struct realm *)g_rd->obj)->state, REALM_TERMINATED,
			      memory_order_release);
	granule_unlock(g_rd);
	res->x[0] = RMI_SUCCESS;
}

void smc_realm_destroy(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	struct granule *g_rd = granule_find_lock(rmm, args->x[0], GRANULE_STATE_RD);
	struct realm *rd;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	/* RECs hold references on the RD; live entries on the roots; 2.0
	 * destroys only a terminated realm. */
	if (granule_refcount(g_rd) != 0 || root_rtts_refcount(rmm, rd) != 0 ||
	    (rmm->cfg.abi == RMI_ABI_2_0 && realm_state(rd) != REALM_TERMINATED)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_REALM;
		return;
	}
	for (unsigned i = 0; i < rd->num_root_rtts; i++) {
		uint64_t pa = rd->rtt_base + (uint64_t)i * GRANULE_SIZE;
		struct granule *g = granule_find(rmm, pa);

		granule_lock(g);
		granule_memzero(rmm, pa);
		granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
	}
	if (rd->vmid_reserved)
		vmid_free(rmm, rd->vmid);
	g_rd->obj = NULL;
	free(rd);
	granule_unlock_transition(g_rd, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
}
