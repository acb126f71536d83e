/*
 * RTT commands: RTT_CREATE (with unfold), RTT_DESTROY, RTT_FOLD,
 * RTT_READ_ENTRY, RTT_INIT_RIPAS, RTT_SET_RIPAS, RTT_MAP_UNPROTECTED,
 * RTT_UNMAP_UNPROTECTED.
 *
 * Refcount of an RTT granule = number of its entries that keep it live
 * (TABLE, ASSIGNED with any RIPAS): DEN0137 A5.5.8 RTT liveness, and
 * TF-RMM, which takes no reference for an ASSIGNED_NS entry (mapped or
 * unfolded). An RTT holding only unprotected mappings can be destroyed
 * (its range becomes UNASSIGNED_NS) or folded.
 */
#include <string.h>

#include "rmm_internal.h"

static bool level_in_range(int64_t level, int min)
{
	return level >= min && level <= S2TT_PAGE_LEVEL;
}

static bool validate_map_addr(uint64_t addr, int level, const struct realm *rd)
{
	return addr < realm_ipa_size(rd) && addr_is_level_aligned(addr, level);
}

/* Structure commands work on every RTT but the root. The IPA names the
 * range the RTT describes, so it is aligned to a level - 1 entry (DEN0137
 * 1.0 B4.3.15-17 ipa_align: AddrIsRttLevelAligned(ipa, level - 1); TF-RMM
 * runtime/rmi/rtt.c validate_rtt_structure_cmds() checks level - 1 in the
 * 1.0-era and the current tree alike). */
static bool validate_rtt_structure_cmds(uint64_t addr, int64_t level, const struct realm *rd)
{
	return level_in_range(level, rd->start_level + 1) &&
	       validate_map_addr(addr, (int)level - 1, rd);
}

/* Map commands work on pages and level-2 blocks. */
static bool validate_rtt_map_cmds(uint64_t addr, int64_t level, const struct realm *rd)
{
	return level_in_range(level, S2TT_MIN_BLOCK_LEVEL) && validate_map_addr(addr, (int)level, rd);
}

/* Entry commands work on any entry, root included. */
static bool validate_rtt_entry_cmds(uint64_t addr, int64_t level, const struct realm *rd)
{
	return level_in_range(level, rd->start_level) && validate_map_addr(addr, (int)level, rd);
}

static struct granule *lock_rd(struct rmm *rmm, uint64_t rd_addr, struct realm **rd)
{
	struct granule *g_rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_RD);

	if (g_rd)
		*rd = g_rd->obj;
	return g_rd;
}

/* ---- RTT_CREATE ---- */

/* Fill a new level-`level` table with 512 entries equivalent to the
 * parent entry; returns the table's initial refcount. */
static unsigned rtt_init_from_parent(uint64_t *table, uint64_t parent, int level)
{
	uint64_t step = s2tte_map_size(level);

	if (s2tte_is_unassigned(parent) || s2tte_is_unassigned_ns(parent)) {
		for (unsigned i = 0; i < S2TTES_PER_S2TT; i++)
			table[i] = parent;
		return 0;
	}
	if (s2tte_is_assigned(parent, level - 1)) {
		uint64_t pa = s2tte_pa(parent, level - 1);
		unsigned ripas = s2tte_get_ripas(parent, level - 1);

		for (unsigned i = 0; i < S2TTES_PER_S2TT; i++)
			table[i] = s2tte_create_assigned(pa + i * step, level, ripas);
		return S2TTES_PER_S2TT;
	}
	/* assigned_ns block: the entries do not keep the new RTT live */
	uint64_t host = host_ns_s2tte(parent, level - 1);
	uint64_t pa = s2tte_pa(parent, level - 1);

	for (unsigned i = 0; i < S2TTES_PER_S2TT; i++)
		table[i] = s2tte_create_assigned_ns((host & ~S2TTE_OA_MASK) | (pa + i * step), level);
	return 0;
}

void smc_rtt_create(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], rtt_addr = args->x[1], map_addr = args->x[2];
	int64_t level = (int64_t)args->x[3];
	struct granule *g_tbl, *g_rd;
	struct realm *rd;
	struct rtt_walk wi;

	if (!granule_find_lock_two(rmm, rtt_addr, GRANULE_STATE_DELEGATED, &g_tbl,
				   rd_addr, GRANULE_STATE_RD, &g_rd)) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	if (!validate_rtt_structure_cmds(map_addr, level, rd)) {
		granule_unlock(g_rd);
		granule_unlock(g_tbl);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level - 1, &wi);
	granule_unlock(g_rd);

	uint64_t parent = wi.table[wi.index];
	if (wi.last_level != level - 1) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	} else if (s2tte_is_table(parent, wi.last_level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)(level - 1));
	} else {
		bool was_counted = s2tte_keeps_rtt_live(parent, wi.last_level);
		unsigned refs = rtt_init_from_parent(rtt_table(rmm, rtt_addr), parent, (int)level);

		granule_refcount_add(g_tbl, refs);
		if (!was_counted)
			granule_get(wi.g_llt);  /* the new TABLE entry keeps the parent live */
		wi.table[wi.index] = s2tte_create_table(rtt_addr);
		granule_set_state(g_tbl, GRANULE_STATE_RTT);
		res->x[0] = RMI_SUCCESS;
	}
	granule_unlock(wi.g_llt);
	granule_unlock(g_tbl);
}

/* ---- RTT_DESTROY ---- */

void smc_rtt_destroy(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1];
	int64_t level = (int64_t)args->x[2];
	struct realm *rd;
	struct granule *g_rd = lock_rd(rmm, rd_addr, &rd);
	struct rtt_walk wi;

	res->x[2] = 0;
	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!validate_rtt_structure_cmds(map_addr, level, rd)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	bool in_par = addr_in_par(rd, map_addr);
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level - 1, &wi);
	granule_unlock(g_rd);

	uint64_t parent = wi.table[wi.index];
	if (wi.last_level != level - 1 || !s2tte_is_table(parent, wi.last_level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out;
	}
	uint64_t rtt_addr = s2tte_pa_table(parent);
	struct granule *g_tbl = granule_find(rmm, rtt_addr);

	granule_lock(g_tbl);
	if (granule_refcount(g_tbl) != 0) {
		granule_unlock(g_tbl);
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)level);
		goto out;
	}
	/* RMM 1.0: the IPA range of a destroyed RTT becomes DESTROYED. */
	wi.table[wi.index] = in_par ? s2tte_create_unassigned_destroyed() : s2tte_create_unassigned_ns();
	granule_put(wi.g_llt);
	granule_memzero(rmm, rtt_addr);
	granule_unlock_transition(g_tbl, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
	res->x[1] = rtt_addr;
out:
	res->x[2] = rtt_skip_non_live_entries(&wi, map_addr);
	granule_unlock(wi.g_llt);
}

/* ---- RTT_FOLD ---- */

/* All 512 entries equal and unassigned (same RIPAS) or unassigned_ns. */
static bool table_is_unassigned_block(const uint64_t *t, uint64_t *out)
{
	if (!s2tte_is_unassigned(t[0]) && !s2tte_is_unassigned_ns(t[0]))
		return false;
	for (unsigned i = 1; i < S2TTES_PER_S2TT; i++)
		if (t[i] != t[0])
			return false;
	*out = t[0];
	return true;
}

/* All 512 entries map one contiguous, block-aligned range the same way,
 * protected (ns false) or unprotected (ns true). */
static bool table_maps_block(const uint64_t *t, int level, bool ns, uint64_t *out)
{
	uint64_t step = s2tte_map_size(level);
	uint64_t pa = s2tte_pa(t[0], level);

	if (ns ? !s2tte_is_assigned_ns(t[0], level) : !s2tte_is_assigned(t[0], level))
		return false;
	if (!addr_is_level_aligned(pa, level - 1))
		return false;
	for (unsigned i = 0; i < S2TTES_PER_S2TT; i++) {
		uint64_t want = ns ? s2tte_create_assigned_ns((t[0] & ~S2TTE_OA_MASK) | (pa + i * step), level)
				   : s2tte_create_assigned(pa + i * step, level, s2tte_get_ripas(t[0], level));
		if (t[i] != want)
			return false;
	}
	*out = ns ? s2tte_create_assigned_ns(host_ns_s2tte(t[0], level) & ~S2TTE_OA_MASK, level - 1) | pa
		  : s2tte_create_assigned(pa, level - 1, s2tte_get_ripas(t[0], level));
	return true;
}

void smc_rtt_fold(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1];
	int64_t level = (int64_t)args->x[2];
	struct realm *rd;
	struct granule *g_rd = lock_rd(rmm, rd_addr, &rd);
	struct rtt_walk wi;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!validate_rtt_structure_cmds(map_addr, level, rd)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level - 1, &wi);
	granule_unlock(g_rd);

	uint64_t parent = wi.table[wi.index];
	if (wi.last_level != level - 1) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out_llt;
	}
	if (!s2tte_is_table(parent, wi.last_level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)(level - 1));
		goto out_llt;
	}
	uint64_t rtt_addr = s2tte_pa_table(parent);
	struct granule *g_tbl = granule_find(rmm, rtt_addr);
	uint64_t *table = rtt_table(rmm, rtt_addr);
	uint64_t folded;

	granule_lock(g_tbl);
	unsigned refs = granule_refcount(g_tbl);
	bool ns_block = refs == 0 && table_maps_block(table, (int)level, true, &folded);
	if (refs == 0 && table_is_unassigned_block(table, &folded)) {
		granule_put(wi.g_llt);   /* TABLE -> unassigned: the parent loses a reference */
	} else if ((ns_block || refs == S2TTES_PER_S2TT) && level <= S2TT_MIN_BLOCK_LEVEL) {
		/* blocks exist at level 2 only */
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out_tbl;
	} else if (ns_block) {
		granule_put(wi.g_llt);   /* TABLE -> ASSIGNED_NS block: not counted */
	} else if (refs == S2TTES_PER_S2TT && table_maps_block(table, (int)level, false, &folded)) {
		granule_refcount_sub(g_tbl, S2TTES_PER_S2TT);
	} else {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)level);
		goto out_tbl;
	}
	wi.table[wi.index] = folded;
	memset(table, 0, GRANULE_SIZE);
	granule_set_state(g_tbl, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
	res->x[1] = rtt_addr;
out_tbl:
	granule_unlock(g_tbl);
out_llt:
	granule_unlock(wi.g_llt);
}

/* ---- RTT_READ_ENTRY ---- */

static void read_entry(uint64_t s, int level, struct smc_res *res)
{
	res->x[3] = 0;
	res->x[4] = RMI_EMPTY;
	if (s2tte_is_unassigned(s)) {
		res->x[2] = RMI_UNASSIGNED;
		res->x[4] = s2tte_ripas_bits(s);
	} else if (s2tte_is_assigned(s, level)) {
		/* state_prot (DEN0137 1.0 B4.3.20): the address, whatever the
		 * RIPAS, DESTROYED included (as TF-RMM's smc_rtt_read_entry) */
		res->x[2] = RMI_ASSIGNED;
		res->x[4] = s2tte_get_ripas(s, level);
		res->x[3] = s2tte_pa(s, level);
	} else if (s2tte_is_unassigned_ns(s)) {
		res->x[2] = RMI_UNASSIGNED;
	} else if (s2tte_is_assigned_ns(s, level)) {
		res->x[2] = RMI_ASSIGNED;
		res->x[3] = host_ns_s2tte(s, level);
	} else {
		res->x[2] = RMI_TABLE;
		res->x[3] = s2tte_pa_table(s);
	}
}

void smc_rtt_read_entry(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1];
	int64_t level = (int64_t)args->x[2];
	struct realm *rd;
	struct granule *g_rd = lock_rd(rmm, rd_addr, &rd);
	struct rtt_walk wi;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!validate_rtt_entry_cmds(map_addr, level, rd)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level, &wi);
	granule_unlock(g_rd);
	res->x[0] = RMI_SUCCESS;
	res->x[1] = (uint64_t)wi.last_level;
	read_entry(wi.table[wi.index], wi.last_level, res);
	granule_unlock(wi.g_llt);
}

/* ---- RTT_INIT_RIPAS ---- */

void smc_rtt_init_ripas(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], base = args->x[1], top = args->x[2];
	struct realm *rd;
	struct granule *g_rd;
	struct rtt_walk wi;

	if (top <= base) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	g_rd = lock_rd(rmm, rd_addr, &rd);
	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!validate_map_addr(base, S2TT_PAGE_LEVEL, rd) ||
	    !validate_map_addr(top, S2TT_PAGE_LEVEL, rd) ||
	    !addr_in_par(rd, base) || !addr_in_par(rd, top - GRANULE_SIZE)) {
		res->x[0] = RMI_ERROR_INPUT;
		goto out_rd;
	}
	if (realm_state(rd) != REALM_NEW) {
		res->x[0] = RMI_ERROR_REALM;
		goto out_rd;
	}
	rtt_walk_lock_unlock(rmm, rd, base, S2TT_PAGE_LEVEL, &wi);

	uint64_t map_size = s2tte_map_size(wi.last_level);
	uint64_t addr = base;
	if (!addr_is_level_aligned(base, wi.last_level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out_llt;
	}
	/* 1.0 (TF-RMM's 1.0-era smc_rtt_init_ripas): UNASSIGNED entries only.
	 * 2.0 (current TF-RMM): ASSIGNED EMPTY entries become RAM too. */
	bool assigned_too = rmm->cfg.abi == RMI_ABI_2_0;
	for (unsigned i = wi.index; i < S2TTES_PER_S2TT && addr + map_size <= top;
	     i++, addr += map_size) {
		uint64_t s = wi.table[i];

		if (s2tte_is_unassigned_empty(s))
			wi.table[i] = s2tte_create_unassigned_ram();
		else if (assigned_too && s2tte_is_assigned_empty(s))
			wi.table[i] = s2tte_create_assigned_ram(s2tte_pa(s, wi.last_level), wi.last_level);
		else if (!s2tte_is_unassigned_ram(s) && !(assigned_too && s2tte_is_assigned_ram(s, wi.last_level)))
			break;
	}
	if (addr > base && !rmm_rim_extend_ripas(&rd->rim, base, addr)) {
		res->x[0] = RMI_ERROR_INPUT; /* libcrypto failed */
	} else if (addr > base) {
		res->x[0] = RMI_SUCCESS;
		res->x[1] = addr;
	} else {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	}
out_llt:
	granule_unlock(wi.g_llt);
out_rd:
	granule_unlock(g_rd);
}

/* ---- RTT_SET_RIPAS ---- */

/* New value of one entry for a RIPAS change, or false if the entry cannot
 * change (no RIPAS, or DESTROYED without the guest's consent). */
static bool ripas_update(uint64_t s, int level, unsigned ripas, bool change_destroyed,
			 uint64_t *out)
{
	if (!s2tte_has_ripas(s, level))
		return false;
	if (s2tte_get_ripas(s, level) == RMI_DESTROYED && !change_destroyed)
		return false;
	if (s2tte_is_unassigned(s))
		*out = s2tte_create_unassigned(ripas);
	else
		*out = s2tte_create_assigned(s2tte_pa(s, level), level, ripas);
	return true;
}

void smc_rtt_set_ripas(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], rec_addr = args->x[1], base = args->x[2], top = args->x[3];
	struct granule *g_rd, *g_rec;
	struct realm *rd;
	struct rec *rec;
	struct rtt_walk wi;

	/* size_valid, top_gran_align (DEN0137 1.0 B4.3.21; TF-RMM checks
	 * both before taking any lock) */
	if (top <= base || !addr_is_level_aligned(top, S2TT_PAGE_LEVEL)) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!granule_find_lock_two(rmm, rd_addr, GRANULE_STATE_RD, &g_rd,
				   rec_addr, GRANULE_STATE_REC, &g_rec)) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	rec = g_rec->obj;
	if (granule_refcount(g_rec) != 0 || rec->realm != rd) {
		res->x[0] = RMI_ERROR_REC;
		goto out_unlock;
	}
	if (rec->pending != REC_PENDING_RIPAS_CHANGE || base != rec->set_ripas.addr ||
	    top > rec->set_ripas.top) {
		res->x[0] = RMI_ERROR_INPUT;
		goto out_unlock;
	}
	rtt_walk_lock_unlock(rmm, rd, base, S2TT_PAGE_LEVEL, &wi);

	uint64_t map_size = s2tte_map_size(wi.last_level);
	uint64_t addr = base;
	unsigned i = wi.index;
	if (!addr_is_level_aligned(base, wi.last_level)) {
		/* base_align: an error only if the entry holding base (which
		 * also covers IPAs below it) would have to change; one that
		 * already has the requested RIPAS counts as done. */
		uint64_t s = wi.table[i];

		if (!s2tte_has_ripas(s, wi.last_level) ||
		    s2tte_get_ripas(s, wi.last_level) != rec->set_ripas.ripas) {
			res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
			goto out_llt;
		}
		addr = (base & ~(map_size - 1)) + map_size;
		if (addr >= top) {
			addr = top;
			goto done;
		}
		i++;
	}
	for (; i < S2TTES_PER_S2TT && addr + map_size <= top; i++, addr += map_size) {
		uint64_t next;

		if (!ripas_update(wi.table[i], wi.last_level, rec->set_ripas.ripas,
				  rec->set_ripas.change_destroyed, &next))
			break;
		wi.table[i] = next;
	}
done:
	if (addr > base) {
		rec->set_ripas.addr = addr;
		res->x[0] = RMI_SUCCESS;
		res->x[1] = addr;
	} else {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	}
out_llt:
	granule_unlock(wi.g_llt);
out_unlock:
	granule_unlock(g_rec);
	granule_unlock(g_rd);
}

/* ---- RTT_MAP_UNPROTECTED / RTT_UNMAP_UNPROTECTED ---- */

void smc_rtt_map_unprotected(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1], desc = args->x[3];
	int64_t level = (int64_t)args->x[2];
	struct realm *rd;
	struct granule *g_rd;
	struct rtt_walk wi;

	if (!level_in_range(level, 0) || !host_ns_s2tte_is_valid(desc, (int)level)) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	g_rd = lock_rd(rmm, rd_addr, &rd);
	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	/* No check of the output address's PAS: like TF-RMM (map_unmap_ns():
	 * "we rely on the guarantees provided by the architecture to ensure
	 * that a NS access to a protected granule is prohibited even within
	 * the realm") and DEN0137 1.0 B4.3.19, which has no such failure
	 * condition. Not mapping delegated memory unprotected is the host's
	 * duty; the realm side models the GPC fault (run.c). */
	if (!validate_rtt_map_cmds(map_addr, level, rd) || addr_in_par(rd, map_addr)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level, &wi);
	granule_unlock(g_rd);
	if (wi.last_level != level) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	} else if (!s2tte_is_unassigned_ns(wi.table[wi.index])) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)level);
	} else {
		wi.table[wi.index] = s2tte_create_assigned_ns(desc, (int)level);
		res->x[0] = RMI_SUCCESS;   /* no reference: see the top of this file */
	}
	granule_unlock(wi.g_llt);
}

void smc_rtt_unmap_unprotected(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], map_addr = args->x[1];
	int64_t level = (int64_t)args->x[2];
	struct realm *rd;
	struct granule *g_rd = lock_rd(rmm, rd_addr, &rd);
	struct rtt_walk wi;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (!validate_rtt_map_cmds(map_addr, level, rd) || addr_in_par(rd, map_addr)) {
		granule_unlock(g_rd);
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, map_addr, (int)level, &wi);
	granule_unlock(g_rd);
	if (wi.last_level != level || !s2tte_is_assigned_ns(wi.table[wi.index], wi.last_level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
	} else {
		wi.table[wi.index] = s2tte_create_unassigned_ns();
		res->x[0] = RMI_SUCCESS;
	}
	res->x[1] = rtt_skip_non_live_entries(&wi, map_addr);
	granule_unlock(wi.g_llt);
}
