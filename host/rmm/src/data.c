/*
 * DATA granules: DATA_CREATE, DATA_CREATE_UNKNOWN, DATA_DESTROY (RMI 1.0)
 * and RTT_DATA_MAP_INIT (RMI 2.0, DATA_CREATE's successor at FID 0x153).
 *
 * Both populating commands copy the host's page and extend the realm's
 * RIM (measure.h): with RMI_MEASURE_CONTENT the granule's contents are
 * hashed into the DATA descriptor, without it only the descriptor is.
 */
#include <string.h>

#include "phys/phys.h"
#include "rmm_internal.h"

#define RMI_NO_MEASURE_CONTENT 0
#define RMI_MEASURE_CONTENT    1

static bool validate_data_map_addr(uint64_t map_addr, const struct realm *rd)
{
	return addr_in_par(rd, map_addr) && addr_is_level_aligned(map_addr, S2TT_PAGE_LEVEL);
}

/* Copy the host's page into the DATA granule (the realm's initial image). */
static bool copy_from_ns(struct rmm *rmm, uint64_t data_addr, const void *src)
{
	void *dst = phys_va(rmm->dram, data_addr);

	if (!dst)
		return false;
	memcpy(dst, src, GRANULE_SIZE);
	return true;
}

/* Copy the initial contents in and extend the RIM (RD locked). */
static bool copy_and_measure(struct rmm *rmm, struct realm *rd, uint64_t data_addr,
			     uint64_t map_addr, const void *src, uint64_t flags)
{
	if (!copy_from_ns(rmm, data_addr, src))
		return false;
	return rmm_rim_extend_data(&rd->rim, map_addr, flags == RMI_MEASURE_CONTENT,
				   phys_va(rmm->dram, data_addr), GRANULE_SIZE);
}

/* DATA_CREATE (src != NULL) and DATA_CREATE_UNKNOWN (src == NULL). */
static uint64_t data_create(struct rmm *rmm, uint64_t rd_addr, uint64_t data_addr,
			    uint64_t map_addr, const void *src, uint64_t flags)
{
	struct granule *g_data, *g_rd;
	struct realm *rd;
	struct rtt_walk wi;
	uint64_t ret;

	if (!granule_find_lock_two(rmm, data_addr, GRANULE_STATE_DELEGATED, &g_data,
				   rd_addr, GRANULE_STATE_RD, &g_rd))
		return RMI_ERROR_INPUT;
	rd = g_rd->obj;
	if (src && realm_state(rd) != REALM_NEW) {
		ret = RMI_ERROR_REALM;
		goto out_rd;
	}
	if (!validate_data_map_addr(map_addr, rd)) {
		ret = RMI_ERROR_INPUT;
		goto out_rd;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, S2TT_PAGE_LEVEL, &wi);
	if (wi.last_level != S2TT_PAGE_LEVEL) {
		ret = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out_llt;
	}
	uint64_t s2tte = wi.table[wi.index];
	/* DATA_CREATE populates RAM; DATA_CREATE_UNKNOWN keeps the RIPAS. */
	if (src ? !s2tte_is_unassigned_ram(s2tte) : !s2tte_is_unassigned(s2tte)) {
		ret = rmi_status(RMI_ERROR_RTT, S2TT_PAGE_LEVEL);
		goto out_llt;
	}
	if (src && !copy_and_measure(rmm, rd, data_addr, map_addr, src, flags)) {
		ret = RMI_ERROR_INPUT;
		goto out_llt;
	}
	wi.table[wi.index] = s2tte_create_assigned(data_addr, S2TT_PAGE_LEVEL, s2tte_ripas_bits(s2tte));
	granule_get(wi.g_llt);
	granule_set_state(g_data, GRANULE_STATE_DATA);
	ret = RMI_SUCCESS;
out_llt:
	granule_unlock(wi.g_llt);
out_rd:
	granule_unlock(g_rd);
	granule_unlock(g_data);
	return ret;
}

void smc_data_create(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], data_addr = args->x[1], map_addr = args->x[2];
	uint64_t src_addr = args->x[3], flags = args->x[4];
	const void *src;

	if (flags != RMI_NO_MEASURE_CONTENT && flags != RMI_MEASURE_CONTENT) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	src = ns_granule_va(rmm, src_addr);
	if (!src) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	res->x[0] = data_create(rmm, rd_addr, data_addr, map_addr, src, flags);
}

void smc_data_create_unknown(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	res->x[0] = data_create(rmm, args->x[0], args->x[1], args->x[2], NULL, 0);
}

void smc_data_destroy(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1];
	struct granule *g_rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_RD);
	struct realm *rd;
	struct rtt_walk wi;

	res->x[2] = 0;
	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	/* ipa_align, ipa_bound: DEN0137 1.0 B4.3.3 requires a protected IPA
	 * (AddrIsProtected), as TF-RMM's smc_data_destroy() checks. */
	if (!validate_data_map_addr(map_addr, rd)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, S2TT_PAGE_LEVEL, &wi);
	granule_unlock(g_rd);

	uint64_t s2tte = wi.table[wi.index];
	if (wi.last_level != S2TT_PAGE_LEVEL) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out;
	}
	if (!s2tte_is_assigned(s2tte, S2TT_PAGE_LEVEL)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, S2TT_PAGE_LEVEL);
		goto out;
	}
	uint64_t data_addr = s2tte_pa(s2tte, S2TT_PAGE_LEVEL);
	unsigned ripas = s2tte_get_ripas(s2tte, S2TT_PAGE_LEVEL);

	/* A RAM page the realm may have used becomes DESTROYED. */
	wi.table[wi.index] = s2tte_create_unassigned(ripas == RMI_EMPTY ? RMI_EMPTY : RMI_DESTROYED);
	granule_put(wi.g_llt);

	/* Locked after the RTT: its address came from a locked table, so no
	 * other path can be holding it while waiting for this RTT. */
	struct granule *g_data = granule_find(rmm, data_addr);
	granule_lock(g_data);
	granule_memzero(rmm, data_addr);
	granule_unlock_transition(g_data, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
	res->x[1] = data_addr;
out:
	res->x[2] = rtt_skip_non_live_entries(&wi, map_addr);
	granule_unlock(wi.g_llt);
}

/* RMI 2.0: RD, walk, then the data granule (TF-RMM's 2.0 lock order, the
 * same as RTT_DATA_MAP's, so the two cannot deadlock). */
void smc_rtt_data_map_init(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], data_addr = args->x[1], map_addr = args->x[2];
	uint64_t src_addr = args->x[3], flags = args->x[4];
	const void *src;
	struct granule *g_rd, *g_data;
	struct realm *rd;
	struct rtt_walk wi;

	res->x[0] = RMI_ERROR_INPUT;
	if (flags != RMI_NO_MEASURE_CONTENT && flags != RMI_MEASURE_CONTENT)
		return;
	if (!(src = ns_granule_va(rmm, src_addr)))
		return;
	if (!(g_rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_RD)))
		return;
	rd = g_rd->obj;
	if (realm_state(rd) != REALM_NEW) {
		res->x[0] = RMI_ERROR_REALM;
		granule_unlock(g_rd);
		return;
	}
	if (!validate_data_map_addr(map_addr, rd)) {
		granule_unlock(g_rd);
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, S2TT_PAGE_LEVEL, &wi);
	uint64_t s2tte = wi.table[wi.index];
	if (wi.last_level != S2TT_PAGE_LEVEL) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	} else if (!s2tte_is_unassigned(s2tte)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, S2TT_PAGE_LEVEL);
	} else if ((g_data = granule_find_lock(rmm, data_addr, GRANULE_STATE_DELEGATED))) {
		if (copy_and_measure(rmm, rd, data_addr, map_addr, src, flags)) {
			wi.table[wi.index] = s2tte_create_assigned_ram(data_addr, S2TT_PAGE_LEVEL);
			granule_get(wi.g_llt);
			granule_set_state(g_data, GRANULE_STATE_DATA);
			res->x[0] = RMI_SUCCESS;
		}
		granule_unlock(g_data);
	}
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
}
