/*
 * Stage-2 translation table entries (s2tte) of realm RTTs, and the RTT walk.
 *
 * Contract: RTTs are real 512-entry tables of 64-bit descriptors stored in
 * the RTT granule's page. Encoding follows TF-RMM lib/s2tt (RMM 1.0 era,
 * 4 KiB granule, no LPA2, HCR_EL2.FWB set):
 *
 *   type                 level  DESC[1:0]  HIPAS[4:2]  RIPAS[6:5]  NS[55]
 *   unassigned_<ripas>   any    invalid 0  unassigned  ripas       0
 *   assigned_empty       2,3    invalid 0  assigned    empty       0   + PA
 *   assigned_destroyed   2,3    invalid 0  assigned    destroyed   0   + PA
 *   assigned_ram         3 / 2  page 3 / block 1 (valid, S2TTE_ATTRS)  0
 *   unassigned_ns        any    invalid 0  unassigned  -           1
 *   assigned_ns          3 / 2  page 3 / block 1, host attrs + AF|XN  1
 *   table                0..2   table 3, PA of the next-level RTT
 *
 * Handlers speak in these states through the helpers below and never
 * twiddle bits. The walk (rtt_walk_lock_unlock) locks RTT granules hand
 * over hand from the root and returns with the last table locked.
 */
#ifndef RMM_S2TT_H
#define RMM_S2TT_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/rmi.h"

#define S2TTE_DESC_MASK      3ULL
#define S2TTE_DESC_INVALID   0ULL
#define S2TTE_DESC_BLOCK     1ULL
#define S2TTE_DESC_TABLE     3ULL
#define S2TTE_DESC_PAGE      3ULL

#define S2TTE_HIPAS_SHIFT    2
#define S2TTE_HIPAS_MASK     (7ULL << S2TTE_HIPAS_SHIFT)
#define S2TTE_HIPAS_UNASSIGNED (0ULL << S2TTE_HIPAS_SHIFT)
#define S2TTE_HIPAS_ASSIGNED   (1ULL << S2TTE_HIPAS_SHIFT)
#define S2TTE_RIPAS_SHIFT    5
#define S2TTE_RIPAS_MASK     (3ULL << S2TTE_RIPAS_SHIFT)

#define S2TTE_NS             (1ULL << 55)
#define S2TTE_XN             (2ULL << 53)
#define S2TTE_AF             (1ULL << 10)
#define S2TTE_MEMATTR_MASK   (7ULL << 2)
#define S2TTE_MEMATTR_FWB_NORMAL_WB ((1ULL << 4) | (2ULL << 2))
#define S2TTE_MEMATTR_FWB_RESERVED  (1ULL << 4)
#define S2TTE_AP_MASK        (3ULL << 6)
#define S2TTE_AP_RW          (3ULL << 6)
#define S2TTE_SH_MASK        (3ULL << 8)
#define S2TTE_SH_RESERVED    (1ULL << 8)
#define S2TTE_SH_IS          (3ULL << 8)
#define S2TTE_ATTRS          (S2TTE_MEMATTR_FWB_NORMAL_WB | S2TTE_AP_RW | S2TTE_SH_IS | S2TTE_AF)
/* Attributes the host chooses for an unprotected mapping: MemAttr and
 * S2AP. Shareability is the RMM's (Inner Shareable), as in TF-RMM v0.8.0
 * (S2TTE_NS_ATTR_MASK + the S2AP bits in host_ns_s2tte_is_valid): a host
 * descriptor with SH bits set is ERROR_INPUT. */
#define S2TTE_NS_ATTR_HOST   (S2TTE_MEMATTR_MASK | S2TTE_AP_MASK)
/* Attributes the RMM adds to every unprotected mapping. */
#define S2TTE_NS_ATTR_RMM    (S2TTE_AF | S2TTE_NS | S2TTE_XN | S2TTE_SH_IS)
#define S2TTE_OA_MASK        0x0000FFFFFFFFF000ULL /* PA[47:12] */

#define S2TT_PAGE_LEVEL      3
#define S2TT_MIN_BLOCK_LEVEL 2    /* the model maps blocks at level 2 only */
#define S2TT_MIN_START_LEVEL 0
#define S2TT_MIN_IPA_BITS    32
#define S2TT_MAX_IPA_BITS    48
#define S2TTE_STRIDE         9
#define S2TTES_PER_S2TT      512u

static inline unsigned s2tt_level_shift(int level)
{
	return GRANULE_SHIFT + S2TTE_STRIDE * (unsigned)(S2TT_PAGE_LEVEL - level);
}

static inline uint64_t s2tte_map_size(int level)
{
	return 1ULL << s2tt_level_shift(level);
}

static inline bool addr_is_level_aligned(uint64_t addr, int level)
{
	return (addr & (s2tte_map_size(level) - 1)) == 0;
}

/* ---- constructors ---- */

static inline uint64_t s2tte_create_unassigned(unsigned ripas)
{
	return S2TTE_HIPAS_UNASSIGNED | ((uint64_t)ripas << S2TTE_RIPAS_SHIFT);
}

static inline uint64_t s2tte_create_unassigned_empty(void) { return s2tte_create_unassigned(RMI_EMPTY); }
static inline uint64_t s2tte_create_unassigned_ram(void) { return s2tte_create_unassigned(RMI_RAM); }
static inline uint64_t s2tte_create_unassigned_destroyed(void) { return s2tte_create_unassigned(RMI_DESTROYED); }
static inline uint64_t s2tte_create_unassigned_ns(void) { return S2TTE_NS | S2TTE_HIPAS_UNASSIGNED; }

static inline uint64_t s2tte_leaf_desc(int level)
{
	return level == S2TT_PAGE_LEVEL ? S2TTE_DESC_PAGE : S2TTE_DESC_BLOCK;
}

static inline uint64_t s2tte_create_assigned_ram(uint64_t pa, int level)
{
	return (pa & S2TTE_OA_MASK) | S2TTE_ATTRS | s2tte_leaf_desc(level);
}

static inline uint64_t s2tte_create_assigned_invalid(uint64_t pa, unsigned ripas)
{
	return (pa & S2TTE_OA_MASK) | S2TTE_HIPAS_ASSIGNED | ((uint64_t)ripas << S2TTE_RIPAS_SHIFT);
}

static inline uint64_t s2tte_create_assigned_empty(uint64_t pa) { return s2tte_create_assigned_invalid(pa, RMI_EMPTY); }
static inline uint64_t s2tte_create_assigned_destroyed(uint64_t pa) { return s2tte_create_assigned_invalid(pa, RMI_DESTROYED); }

/* ASSIGNED with the given RIPAS: valid for RAM, invalid otherwise. */
static inline uint64_t s2tte_create_assigned(uint64_t pa, int level, unsigned ripas)
{
	return ripas == RMI_RAM ? s2tte_create_assigned_ram(pa, level)
				: s2tte_create_assigned_invalid(pa, ripas);
}

static inline uint64_t s2tte_create_assigned_ns(uint64_t host_s2tte, int level)
{
	return (host_s2tte & (S2TTE_OA_MASK | S2TTE_NS_ATTR_HOST)) | S2TTE_NS_ATTR_RMM |
	       s2tte_leaf_desc(level);
}

static inline uint64_t s2tte_create_table(uint64_t rtt_pa)
{
	return (rtt_pa & S2TTE_OA_MASK) | S2TTE_DESC_TABLE;
}

/* ---- predicates ---- */

static inline bool s2tte_is_invalid(uint64_t s) { return (s & S2TTE_DESC_MASK) == S2TTE_DESC_INVALID; }
static inline bool s2tte_is_ns(uint64_t s) { return (s & S2TTE_NS) != 0; }
static inline unsigned s2tte_ripas_bits(uint64_t s) { return (unsigned)((s & S2TTE_RIPAS_MASK) >> S2TTE_RIPAS_SHIFT); }
static inline uint64_t s2tte_hipas(uint64_t s) { return s & S2TTE_HIPAS_MASK; }

static inline bool s2tte_is_unassigned(uint64_t s)
{
	return s2tte_is_invalid(s) && !s2tte_is_ns(s) && s2tte_hipas(s) == S2TTE_HIPAS_UNASSIGNED;
}

static inline bool s2tte_is_unassigned_ripas(uint64_t s, unsigned ripas)
{
	return s2tte_is_unassigned(s) && s2tte_ripas_bits(s) == ripas;
}

static inline bool s2tte_is_unassigned_empty(uint64_t s) { return s2tte_is_unassigned_ripas(s, RMI_EMPTY); }
static inline bool s2tte_is_unassigned_ram(uint64_t s) { return s2tte_is_unassigned_ripas(s, RMI_RAM); }
static inline bool s2tte_is_unassigned_destroyed(uint64_t s) { return s2tte_is_unassigned_ripas(s, RMI_DESTROYED); }

static inline bool s2tte_is_unassigned_ns(uint64_t s)
{
	return s2tte_is_invalid(s) && s2tte_is_ns(s) && s2tte_hipas(s) == S2TTE_HIPAS_UNASSIGNED;
}

static inline bool s2tte_is_valid_leaf(uint64_t s, int level)
{
	return (s & S2TTE_DESC_MASK) == s2tte_leaf_desc(level) &&
	       (level == S2TT_PAGE_LEVEL || level >= S2TT_MIN_BLOCK_LEVEL);
}

static inline bool s2tte_is_assigned_ram(uint64_t s, int level)
{
	return !s2tte_is_ns(s) && s2tte_is_valid_leaf(s, level);
}

static inline bool s2tte_is_assigned_invalid(uint64_t s, unsigned ripas)
{
	return s2tte_is_invalid(s) && !s2tte_is_ns(s) &&
	       s2tte_hipas(s) == S2TTE_HIPAS_ASSIGNED && s2tte_ripas_bits(s) == ripas;
}

static inline bool s2tte_is_assigned_empty(uint64_t s) { return s2tte_is_assigned_invalid(s, RMI_EMPTY); }
static inline bool s2tte_is_assigned_destroyed(uint64_t s) { return s2tte_is_assigned_invalid(s, RMI_DESTROYED); }

/* ASSIGNED (protected, maps a DATA granule) with any RIPAS. */
static inline bool s2tte_is_assigned(uint64_t s, int level)
{
	return s2tte_is_assigned_ram(s, level) || s2tte_is_assigned_empty(s) ||
	       s2tte_is_assigned_destroyed(s);
}

static inline bool s2tte_is_assigned_ns(uint64_t s, int level)
{
	return s2tte_is_ns(s) && s2tte_is_valid_leaf(s, level);
}

static inline bool s2tte_is_table(uint64_t s, int level)
{
	return level < S2TT_PAGE_LEVEL && (s & S2TTE_DESC_MASK) == S2TTE_DESC_TABLE;
}

/* RTTE liveness (DEN0137 1.0 A5.5.8, 2.0 A5.6.8): the entry stores a PA.
 * RttSkipNonLiveEntries() ("top" outputs) skips the others. */
static inline bool s2tte_is_live(uint64_t s, int level)
{
	return s2tte_is_table(s, level) || s2tte_is_assigned(s, level) ||
	       s2tte_is_assigned_ns(s, level);
}

/* RTT liveness (same sections): an RTT is live while an entry references
 * another RMM object, i.e. is ASSIGNED (a DATA granule) or TABLE. An
 * ASSIGNED_NS entry is live but does not keep its RTT live ("an RTT can be
 * non-live, even if one of its entries is live"): RTT_DESTROY removes an
 * RTT holding unprotected mappings. An RTT's refcount counts these
 * entries, as TF-RMM's does (no reference for NS mappings). */
static inline bool s2tte_keeps_rtt_live(uint64_t s, int level)
{
	return s2tte_is_table(s, level) || s2tte_is_assigned(s, level);
}

/* RIPAS of a protected entry (unassigned or assigned). */
static inline unsigned s2tte_get_ripas(uint64_t s, int level)
{
	return s2tte_is_assigned_ram(s, level) ? RMI_RAM : s2tte_ripas_bits(s);
}

static inline bool s2tte_has_ripas(uint64_t s, int level)
{
	return s2tte_is_unassigned(s) || s2tte_is_assigned(s, level);
}

static inline uint64_t s2tte_pa(uint64_t s, int level)
{
	return s & S2TTE_OA_MASK & ~(s2tte_map_size(level) - 1);
}

static inline uint64_t s2tte_pa_table(uint64_t s)
{
	return s & S2TTE_OA_MASK;
}

/* The descriptor a host passes to RTT_MAP_UNPROTECTED: output address
 * aligned to the level, MemAttr/S2AP/SH only, no reserved encodings. */
static inline bool host_ns_s2tte_is_valid(uint64_t desc, int level)
{
	uint64_t allowed = (S2TTE_OA_MASK & ~(s2tte_map_size(level) - 1)) | S2TTE_NS_ATTR_HOST;

	if (desc & ~allowed)
		return false;
	if ((desc & S2TTE_MEMATTR_MASK) == S2TTE_MEMATTR_FWB_RESERVED)
		return false;
	return (desc & S2TTE_SH_MASK) != S2TTE_SH_RESERVED;
}

/* The host's view of an assigned_ns entry (what RTT_READ_ENTRY returns). */
static inline uint64_t host_ns_s2tte(uint64_t s, int level)
{
	return s & ((S2TTE_OA_MASK & ~(s2tte_map_size(level) - 1)) | S2TTE_NS_ATTR_HOST);
}

/* ---- RTT walk ---- */

struct rmm;
struct realm;
struct granule;

struct rtt_walk {
	struct granule *g_llt;  /* last-level table reached, locked */
	uint64_t *table;        /* its 512 entries */
	int last_level;         /* level of the table */
	unsigned index;         /* entry of ipa in the table */
};

/* Walk the realm's RTTs for ipa down to target_level (at most), locking
 * hand over hand; returns with wi->g_llt locked. The realm's root RTTs
 * exist as long as the caller holds the RD lock or a reference on it. */
void rtt_walk_lock_unlock(struct rmm *rmm, const struct realm *rd, uint64_t ipa,
			  int target_level, struct rtt_walk *wi);

/* The RTT page of an RTT granule. */
uint64_t *rtt_table(struct rmm *rmm, uint64_t rtt_pa);

/* The IPA covered by entry `index` of the table wi describes. */
uint64_t rtt_entry_ipa(const struct rtt_walk *wi, uint64_t ipa, unsigned index);

/* RttSkipNonLiveEntries: ipa itself if the entry the walk reached is live;
 * else the IPA of the next live entry in the table, or the table's end. */
uint64_t rtt_skip_non_live_entries(const struct rtt_walk *wi, uint64_t ipa);

#endif
