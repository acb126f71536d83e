/*
 * RMI 2.0 range commands: RTT_DATA_MAP, RTT_DATA_UNMAP, RTT_UNPROT_MAP,
 * RTT_UNPROT_UNMAP.
 *
 * A call walks to the leaf table that holds `base` and works forward in
 * that table only; it returns RMI_SUCCESS with X1 = the next IPA to process
 * as soon as it made any progress, else the error that stopped it
 * (current TF-RMM runtime/rmi/rtt_map.c and rtt_unmap.c).
 *
 * Where the RMM 2.0 specification text (DEN0137 2.0 B4.5.65, B4.5.77,
 * B4.5.78 rtte_state) is stricter than current TF-RMM, the model follows
 * the specification by default: RTT_DATA_MAP and RTT_UNPROT_MAP fail with
 * RMI_ERROR_RTT on an entry that is already mapped (TF-RMM: a no-op
 * success for the same mapping), and RTT_UNPROT_UNMAP fails with
 * RMI_ERROR_RTT unless the entry at base is mapped (TF-RMM: skips
 * unmapped entries). rmm_config.follow_tfrmm selects TF-RMM's behaviour
 * (`rme-bench rmi --follow tfrmm`, the differential replay).
 *
 * RTT_UNPROT_MAP does not check the descriptor's ST bit: TF-RMM 9a7f8ef
 * passes check_desc_state = false, and the 2026 host series sends ST = 0
 * (addr_range_desc) for NS memory. RTT_DATA_MAP requires ST = delegated.
 *
 * Output addresses come as RmiAddrRangeDesc4KB descriptors (SZ[1:0] =
 * 3 - level, CNT[11:2] blocks, ADDR[51:12], ST[63]: 0 delegated, 1
 * undelegated): flags.oaddr_type SINGLE (X5 is the descriptor) or LIST (X5
 * is the PA of an NS granule holding flags.list_count descriptors).
 *
 * Subset implemented: 4 KiB pages and 2 MiB blocks (SZ 0 and 1); the
 * operation always completes within the call (no RMI_INCOMPLETE, no
 * RMI_OP_CONTINUE); DATA_UNMAP/UNPROT_UNMAP report unmapped PAs for
 * oaddr_type NONE and SINGLE, not LIST; UNPROT_MAP uses the direct S2AP
 * encoding; no auxiliary planes or devices.
 */
#include <sched.h>
#include <string.h>

#include "phys/phys.h"
#include "rmm_internal.h"

#define FLAGS_OADDR_TYPE(f)  ((f) & 3)
#define FLAGS_LIST_COUNT(f)  (((f) >> 2) & 0x3FFF)
#define FLAGS_MEMATTR(f)     (((f) >> 16) & 0x7)
#define FLAGS_S2AP(f)        (((f) >> 19) & 0xF)
#define S2AP_DIRECT_WRITE    (1u << 0)
#define S2AP_DIRECT_READ     (1u << 1)

#define ADDR_TYPE_NONE   0
#define ADDR_TYPE_SINGLE 1
#define ADDR_TYPE_LIST   2

#define DESC_ST_DELEGATED   0
#define DESC_ST_UNDELEGATED 1
#define MAX_DESCS (GRANULE_SIZE / sizeof(uint64_t))

struct block_list {
	uint64_t desc[MAX_DESCS];
	unsigned count, cur;
};

static uint64_t desc_addr(uint64_t d) { return ((d >> 12) & ((1ULL << 40) - 1)) << 12; }
static unsigned desc_cnt(uint64_t d) { return (unsigned)((d >> 2) & 0x3FF); }
static int desc_level(uint64_t d) { return S2TT_PAGE_LEVEL - (int)(d & 3); }
static unsigned desc_st(uint64_t d) { return (unsigned)(d >> 63); }

static uint64_t make_desc(uint64_t addr, unsigned cnt, int level, unsigned st)
{
	return (addr & ~(GRANULE_SIZE - 1)) | ((uint64_t)(cnt & 0x3FF) << 2) |
	       (uint64_t)(S2TT_PAGE_LEVEL - level) | ((uint64_t)st << 63);
}

static bool list_load(struct rmm *rmm, struct block_list *l, uint64_t flags, uint64_t oaddr)
{
	l->cur = 0;
	if (FLAGS_OADDR_TYPE(flags) == ADDR_TYPE_SINGLE) {
		l->desc[0] = oaddr;
		l->count = 1;
		return true;
	}
	if (FLAGS_OADDR_TYPE(flags) != ADDR_TYPE_LIST || (oaddr & 7))
		return false;
	const uint64_t *ns = ns_granule_va(rmm, oaddr & ~(GRANULE_SIZE - 1));
	unsigned offset = (unsigned)((oaddr & (GRANULE_SIZE - 1)) / sizeof(uint64_t));
	unsigned n = (unsigned)FLAGS_LIST_COUNT(flags);

	if (!ns || n == 0)
		return false;
	if (n > MAX_DESCS - offset)
		n = (unsigned)MAX_DESCS - offset;
	memcpy(l->desc, ns + offset, n * sizeof(uint64_t));
	l->count = n;
	return true;
}

static bool list_peek(const struct block_list *l, uint64_t *d)
{
	for (unsigned i = l->cur; i < l->count; i++)
		if (desc_cnt(l->desc[i])) {
			*d = l->desc[i];
			return true;
		}
	return false;
}

/* Take the next block off the list: its PA, level and state. */
static bool list_pop_block(struct block_list *l, uint64_t *pa, int *level, unsigned *st)
{
	while (l->cur < l->count && !desc_cnt(l->desc[l->cur]))
		l->cur++;
	if (l->cur == l->count)
		return false;
	uint64_t d = l->desc[l->cur];
	*pa = desc_addr(d);
	*level = desc_level(d);
	*st = desc_st(d);
	l->desc[l->cur] = make_desc(*pa + s2tte_map_size(*level), desc_cnt(d) - 1, *level, *st);
	return true;
}

static bool validate_map_addr(uint64_t addr, int level, const struct realm *rd)
{
	return addr < realm_ipa_size(rd) && addr_is_level_aligned(addr, level);
}

/* Common input checks of the map commands, in TF-RMM's order. */
static uint64_t validate_map_inputs(struct rmm *rmm, const struct realm *rd, uint64_t base,
				    uint64_t top, uint64_t flags, uint64_t oaddr, unsigned expected_st,
				    bool in_par, struct block_list *l, int *level)
{
	uint64_t first;

	if (realm_state(rd) != REALM_NEW && realm_state(rd) != REALM_ACTIVE)
		return RMI_ERROR_REALM;
	if (top <= base)
		return RMI_ERROR_INPUT;
	if (!list_load(rmm, l, flags, oaddr) || !list_peek(l, &first))
		return RMI_ERROR_INPUT;
	if (in_par && desc_st(first) != expected_st)
		return RMI_ERROR_INPUT;   /* only RTT_DATA_MAP checks ST (TF-RMM) */
	*level = desc_level(first);
	bool base_in = addr_in_par(rd, base), last_in = addr_in_par(rd, top - GRANULE_SIZE);
	if (*level < S2TT_MIN_BLOCK_LEVEL || !validate_map_addr(base, *level, rd) ||
	    !validate_map_addr(top - GRANULE_SIZE, S2TT_PAGE_LEVEL, rd) ||
	    (in_par ? !(base_in && last_in) : (base_in || last_in)))
		return RMI_ERROR_INPUT;
	if (top - base < s2tte_map_size(*level))
		return rmi_status(RMI_ERROR_RTT, (unsigned)*level);
	return RMI_SUCCESS;
}

/* Per-block checks of the map loop. */
static uint64_t pop_next_block(struct block_list *l, bool check_st, unsigned expected_st,
			       int level, uint64_t out_top, uint64_t top, uint64_t *pa)
{
	int blevel;
	unsigned st;

	if (!list_pop_block(l, pa, &blevel, &st) || (check_st && st != expected_st))
		return RMI_ERROR_INPUT;
	if (blevel != level || out_top + s2tte_map_size(level) > top)
		return rmi_status(RMI_ERROR_RTT, (unsigned)level);
	if (!addr_is_level_aligned(*pa, level))
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

static void release_claimed(struct rmm *rmm, uint64_t pa, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct granule *g = granule_find(rmm, pa + (uint64_t)i * GRANULE_SIZE);

		granule_lock(g);
		granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
	}
}

/* Lock a granule while holding a leaf RTT. Other commands may hold a
 * granule lock while they walk (RTT_SET_RIPAS holds the REC, 1.0-style
 * RTT_CREATE the new table), so blocking here could deadlock against a
 * host that passes such a granule; but most holders (a racing vCPU's
 * GRANULE_RANGE_DELEGATE checking the state) let go within microseconds,
 * and a holder may be preempted. So: try for a while, yielding, and only
 * then give up (RMI_BUSY), instead of failing a racing host spuriously. */
static bool granule_lock_patiently(struct granule *g)
{
	for (unsigned i = 0; i < (1u << 16); i++) {
		if (granule_trylock(g))
			return true;
		if ((i & 63) == 63)
			sched_yield();
	}
	return false;
}

/* DELEGATED -> DATA for every granule of a block, zeroing each: the RMM,
 * not the host, scrubs memory it maps into a realm in 2.0. */
static uint64_t claim_data_block(struct rmm *rmm, uint64_t pa, int level)
{
	unsigned n = (unsigned)(s2tte_map_size(level) >> GRANULE_SHIFT);

	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = pa + (uint64_t)i * GRANULE_SIZE;
		struct granule *g = granule_find(rmm, gpa);
		uint64_t err = RMI_ERROR_INPUT;

		if (g && granule_lock_patiently(g)) {
			if (granule_state(g) == GRANULE_STATE_DELEGATED) {
				granule_memzero(rmm, gpa);
				granule_unlock_transition(g, GRANULE_STATE_DATA);
				continue;
			}
			granule_unlock(g);
		} else if (g) {
			err = RMI_BUSY;
		}
		release_claimed(rmm, pa, i);
		return err;
	}
	return RMI_SUCCESS;
}

static uint64_t data_map_one(struct rmm *rmm, struct rtt_walk *wi, unsigned idx, uint64_t pa,
			     int level)
{
	uint64_t s = wi->table[idx];

	/* TF-RMM: the same mapping again is a no-op. */
	if (rmm->cfg.follow_tfrmm && s2tte_is_assigned(s, level) && s2tte_pa(s, level) == pa)
		return RMI_SUCCESS;
	/* rtte_state (DEN0137 2.0 B4.5.65): the entry must be VOID, even if
	 * it already maps this very PA (a racing vCPU's mapping). */
	if (!s2tte_is_unassigned(s))
		return rmi_status(RMI_ERROR_RTT, (unsigned)level);
	uint64_t ret = claim_data_block(rmm, pa, level);
	if (ret != RMI_SUCCESS)
		return ret;
	wi->table[idx] = s2tte_create_assigned(pa, level, s2tte_ripas_bits(s));
	granule_get(wi->g_llt);
	return RMI_SUCCESS;
}

static uint64_t unprot_attrs(uint64_t flags, bool *ok)
{
	uint64_t memattr = FLAGS_MEMATTR(flags) << 2;
	unsigned s2ap = (unsigned)FLAGS_S2AP(flags);
	uint64_t attrs = memattr | S2TTE_SH_IS;

	*ok = !(s2ap & ~(S2AP_DIRECT_READ | S2AP_DIRECT_WRITE)) &&
	      memattr != S2TTE_MEMATTR_FWB_RESERVED;
	if (s2ap & S2AP_DIRECT_READ)
		attrs |= 1ULL << 6;
	if (s2ap & S2AP_DIRECT_WRITE)
		attrs |= 1ULL << 7;
	return attrs;
}

static uint64_t unprot_map_one(struct rmm *rmm, struct rtt_walk *wi, unsigned idx, uint64_t pa,
			       int level, uint64_t attrs)
{
	uint64_t s = wi->table[idx];
	uint64_t want = s2tte_create_assigned_ns(attrs | pa, level);

	/* TF-RMM: the same mapping again is a no-op. */
	if (rmm->cfg.follow_tfrmm && s == want)
		return RMI_SUCCESS;
	/* rtte_state (DEN0137 2.0 B4.5.77): the entry must be UNMAPPED_NS,
	 * even if it already maps this very PA. The PAS of the PA is not
	 * checked (no such failure condition; the GPC guards it). */
	if (!s2tte_is_unassigned_ns(s))
		return rmi_status(RMI_ERROR_RTT, (unsigned)level);
	wi->table[idx] = want;   /* no RTT reference for an NS mapping (rtt.c) */
	return RMI_SUCCESS;
}

static void range_map(struct rmm *rmm, const struct smc_args *args, struct smc_res *res, bool data)
{
	uint64_t rd_addr = args->x[0], base = args->x[1], top = args->x[2];
	uint64_t flags = args->x[3], oaddr = args->x[4];
	unsigned expected_st = data ? DESC_ST_DELEGATED : DESC_ST_UNDELEGATED;
	static _Thread_local struct block_list list;
	struct granule *g_rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_RD);
	struct realm *rd;
	struct rtt_walk wi;
	uint64_t attrs = 0, ret, out_top = base;
	int level = S2TT_PAGE_LEVEL;
	bool attrs_ok = true;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	ret = validate_map_inputs(rmm, rd, base, top, flags, oaddr, expected_st, data, &list, &level);
	if (ret == RMI_SUCCESS && !data) {
		attrs = unprot_attrs(flags, &attrs_ok);
		if (!attrs_ok)
			ret = RMI_ERROR_INPUT;
	}
	if (ret != RMI_SUCCESS) {
		granule_unlock(g_rd);
		res->x[0] = ret;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, base, level, &wi);
	granule_unlock(g_rd);
	if (wi.last_level != level) {
		ret = rmi_status(RMI_ERROR_RTT, (unsigned)wi.last_level);
		goto out;
	}
	for (unsigned idx = wi.index; idx < S2TTES_PER_S2TT; idx++) {
		uint64_t pa;

		ret = pop_next_block(&list, data, expected_st, level, out_top, top, &pa);
		if (ret == RMI_SUCCESS)
			ret = data ? data_map_one(rmm, &wi, idx, pa, level)
				   : unprot_map_one(rmm, &wi, idx, pa, level, attrs);
		if (ret != RMI_SUCCESS)
			break;
		out_top += s2tte_map_size(level);
		if (out_top >= top)
			break;
	}
out:
	granule_unlock(wi.g_llt);
	if (out_top > base) {
		ret = RMI_SUCCESS;
		res->x[1] = out_top;
	}
	res->x[0] = ret;
}

void smc_rtt_data_map(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	range_map(rmm, args, res, true);
}

void smc_rtt_unprot_map(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	range_map(rmm, args, res, false);
}

/* ---- unmap ---- */

static uint64_t validate_unmap_inputs(const struct realm *rd, uint64_t base, uint64_t top,
				      uint64_t flags, uint64_t oaddr, bool in_par)
{
	uint64_t type = FLAGS_OADDR_TYPE(flags);

	if ((base & (GRANULE_SIZE - 1)) || (top & (GRANULE_SIZE - 1)) || top <= base)
		return RMI_ERROR_INPUT;
	if (!validate_map_addr(base, S2TT_PAGE_LEVEL, rd) ||
	    !validate_map_addr(top - GRANULE_SIZE, S2TT_PAGE_LEVEL, rd))
		return RMI_ERROR_INPUT;
	if (in_par ? !(addr_in_par(rd, base) && addr_in_par(rd, top - GRANULE_SIZE))
		   : (addr_in_par(rd, base) || addr_in_par(rd, top - GRANULE_SIZE)))
		return RMI_ERROR_INPUT;
	if (type != ADDR_TYPE_NONE && type != ADDR_TYPE_SINGLE)
		return RMI_ERROR_INPUT;   /* LIST output is not modeled */
	if (oaddr != 0 || FLAGS_LIST_COUNT(flags) != 0)
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

static bool entry_owned(uint64_t s, int level, bool data)
{
	return data ? s2tte_is_assigned(s, level) : s2tte_is_assigned_ns(s, level);
}

static void release_data_block(struct rmm *rmm, uint64_t pa, int level)
{
	unsigned n = (unsigned)(s2tte_map_size(level) >> GRANULE_SHIFT);

	for (unsigned i = 0; i < n; i++) {
		struct granule *g = granule_find(rmm, pa + (uint64_t)i * GRANULE_SIZE);

		granule_lock(g);
		granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
	}
}

static void range_unmap(struct rmm *rmm, const struct smc_args *args, struct smc_res *res, bool data)
{
	uint64_t rd_addr = args->x[0], base = args->x[1], top = args->x[2];
	uint64_t flags = args->x[3], oaddr = args->x[4];
	bool single = FLAGS_OADDR_TYPE(flags) == ADDR_TYPE_SINGLE;
	struct granule *g_rd = granule_find_lock(rmm, rd_addr, GRANULE_STATE_RD);
	struct realm *rd;
	struct rtt_walk wi;
	uint64_t ret;

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	rd = g_rd->obj;
	ret = validate_unmap_inputs(rd, base, top, flags, oaddr, data);
	if (ret != RMI_SUCCESS) {
		granule_unlock(g_rd);
		res->x[0] = ret;
		return;
	}
	rtt_walk_lock_unlock(rmm, rd, base, S2TT_PAGE_LEVEL, &wi);
	granule_unlock(g_rd);

	int level = wi.last_level;
	uint64_t map_size = s2tte_map_size(level);
	uint64_t addr = base, first_pa = 0, next_pa = 0;
	unsigned blocks = 0;

	if (!addr_is_level_aligned(base, level)) {
		res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)level);
		goto out;
	}
	for (unsigned idx = wi.index; idx < S2TTES_PER_S2TT && addr < top; idx++, addr += map_size) {
		uint64_t s = wi.table[idx];
		bool first = idx == wi.index;

		if (!s2tte_is_live(s, level)) {
			/* RTT_UNPROT_UNMAP rtte_state (DEN0137 2.0 B4.5.78):
			 * the entry at base must be MAPPED_NS. RTT_DATA_UNMAP
			 * (B4.5.67) has no such condition and skips, and so
			 * does TF-RMM's RTT_UNPROT_UNMAP (follow_tfrmm). */
			bool skips = data || rmm->cfg.follow_tfrmm;
			if (first && (!skips || addr + map_size > top))
				goto rtt_error;
			if (addr + map_size > top)
				break;
			continue;
		}
		if (s2tte_is_table(s, level) || addr + map_size > top || !entry_owned(s, level, data)) {
			if (first)
				goto rtt_error;
			break;
		}
		uint64_t pa = s2tte_pa(s, level);
		if (single && blocks && pa != next_pa)
			break;   /* the SINGLE output range must stay contiguous */
		if (!blocks)
			first_pa = pa;
		next_pa = pa + map_size;
		blocks++;
		if (data) {
			unsigned ripas = s2tte_get_ripas(s, level);
			wi.table[idx] = s2tte_create_unassigned(ripas == RMI_EMPTY ? RMI_EMPTY : RMI_DESTROYED);
			release_data_block(rmm, pa, level);
			granule_put(wi.g_llt);
		} else {
			wi.table[idx] = s2tte_create_unassigned_ns();
		}
	}
	res->x[0] = RMI_SUCCESS;
	res->x[1] = addr < top ? addr : top;
	if (single && blocks) {
		/* NS memory given back is undelegated; TF-RMM leaves ST 0. */
		unsigned st = data || rmm->cfg.follow_tfrmm ? DESC_ST_DELEGATED : DESC_ST_UNDELEGATED;
		res->x[2] = make_desc(first_pa, blocks, level, st);
	}
	goto out;
rtt_error:
	res->x[0] = rmi_status(RMI_ERROR_RTT, (unsigned)level);
out:
	granule_unlock(wi.g_llt);
}

void smc_rtt_data_unmap(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	range_unmap(rmm, args, res, true);
}

void smc_rtt_unprot_unmap(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	range_unmap(rmm, args, res, false);
}
