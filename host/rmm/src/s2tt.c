/*
 * The RTT walk, shared by every command that reads or writes RTTs and by
 * the realm side of REC_ENTER (the model's stage-2 MMU).
 */
#include "phys/phys.h"
#include "rmm_internal.h"

uint64_t *rtt_table(struct rmm *rmm, uint64_t rtt_pa)
{
	return phys_va(rmm->dram, rtt_pa);
}

static unsigned level_index(uint64_t ipa, int level)
{
	return (unsigned)((ipa >> s2tt_level_shift(level)) & (S2TTES_PER_S2TT - 1));
}

void rtt_walk_lock_unlock(struct rmm *rmm, const struct realm *rd, uint64_t ipa,
			  int target_level, struct rtt_walk *wi)
{
	int level = rd->start_level;
	/* The starting level may be several concatenated tables. */
	uint64_t sl_index = ipa >> s2tt_level_shift(level);
	uint64_t table_pa = rd->rtt_base + (sl_index / S2TTES_PER_S2TT) * GRANULE_SIZE;
	struct granule *g = granule_find(rmm, table_pa);
	unsigned index = (unsigned)(sl_index % S2TTES_PER_S2TT);

	granule_lock(g);
	uint64_t *table = rtt_table(rmm, table_pa);

	while (level < target_level && s2tte_is_table(table[index], level)) {
		uint64_t child_pa = s2tte_pa_table(table[index]);
		struct granule *child = granule_find(rmm, child_pa);

		granule_lock(child);
		granule_unlock(g);
		g = child;
		table = rtt_table(rmm, child_pa);
		level++;
		index = level_index(ipa, level);
	}
	wi->g_llt = g;
	wi->table = table;
	wi->last_level = level;
	wi->index = index;
}

uint64_t rtt_entry_ipa(const struct rtt_walk *wi, uint64_t ipa, unsigned index)
{
	uint64_t map_size = s2tte_map_size(wi->last_level);
	uint64_t table_span = map_size * S2TTES_PER_S2TT;

	return (ipa & ~(table_span - 1)) + (uint64_t)index * map_size;
}

/* RMM 1.0 RttSkipNonLiveEntries (DEN0137 B4.3.3 / B4.3.22 "top" tables:
 * a walk ending at a live entry, e.g. a block, gives top == ipa), as
 * TF-RMM's s2tt_skip_non_live_entries(): a live entry at the walk's index
 * returns the input address itself, unaligned; otherwise the IPA of the
 * next live entry of the table, or the end of the table. */
uint64_t rtt_skip_non_live_entries(const struct rtt_walk *wi, uint64_t ipa)
{
	unsigned i;

	if (s2tte_is_live(wi->table[wi->index], wi->last_level))
		return ipa;
	for (i = wi->index + 1; i < S2TTES_PER_S2TT; i++)
		if (s2tte_is_live(wi->table[i], wi->last_level))
			break;
	return rtt_entry_ipa(wi, ipa, i);
}
