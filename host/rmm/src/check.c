/*
 * rmm_sim_check_invariants: a full consistency check of the model, for
 * tests. Walks every realm's RTT tree from its roots and cross-checks the
 * granule states it finds against the granule table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rmm_internal.h"

struct checker {
	struct rmm *rmm;
	uint16_t **marks;        /* per tracked chunk: times a granule was reached */
	char *why;
	size_t len;
	bool failed;
};

static void fail(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	if (c->why && c->len)
		vsnprintf(c->why, c->len, fmt, ap);
	va_end(ap);
}

/* Count one more reference to the granule at pa; returns the new count. */
static unsigned mark(struct checker *c, uint64_t pa)
{
	uint64_t idx = (pa - c->rmm->dram_base) >> GRANULE_SHIFT;
	size_t chunk = (size_t)(idx / GRANULES_PER_CHUNK);

	if (!c->marks[chunk] && !(c->marks[chunk] = calloc(GRANULES_PER_CHUNK, sizeof(uint16_t)))) {
		fail(c, "out of memory");
		return 1;
	}
	return ++c->marks[chunk][idx % GRANULES_PER_CHUNK];
}

static unsigned marks_of(const struct checker *c, uint64_t idx)
{
	const uint16_t *m = c->marks[idx / GRANULES_PER_CHUNK];

	return m ? m[idx % GRANULES_PER_CHUNK] : 0;
}

static void check_data_block(struct checker *c, uint64_t pa, int level, uint64_t ipa)
{
	for (uint64_t off = 0; off < s2tte_map_size(level); off += GRANULE_SIZE) {
		struct granule *g = granule_find_if_tracked(c->rmm, pa + off);

		if (!g || granule_state(g) != GRANULE_STATE_DATA)
			return fail(c, "IPA 0x%llx maps PA 0x%llx which is not DATA",
				    (unsigned long long)ipa, (unsigned long long)(pa + off));
		if (mark(c, pa + off) > 1)
			return fail(c, "DATA granule 0x%llx mapped twice", (unsigned long long)(pa + off));
	}
}

static void check_table(struct checker *c, const struct realm *rd, uint64_t table_pa, int level,
			uint64_t base_ipa, unsigned first, unsigned count);

static void check_entry(struct checker *c, const struct realm *rd, uint64_t s, int level,
			uint64_t ipa)
{
	bool par = addr_in_par(rd, ipa);

	if (s2tte_is_table(s, level)) {
		uint64_t child = s2tte_pa_table(s);
		struct granule *g = granule_find_if_tracked(c->rmm, child);

		if (!g || granule_state(g) != GRANULE_STATE_RTT)
			return fail(c, "TABLE entry at IPA 0x%llx level %d points to 0x%llx, not an RTT",
				    (unsigned long long)ipa, level, (unsigned long long)child);
		if (mark(c, child) > 1)
			return fail(c, "RTT 0x%llx reached twice", (unsigned long long)child);
		return check_table(c, rd, child, level + 1, ipa, 0, S2TTES_PER_S2TT);
	}
	if (s2tte_is_assigned(s, level)) {
		if (!par)
			return fail(c, "protected entry at unprotected IPA 0x%llx", (unsigned long long)ipa);
		return check_data_block(c, s2tte_pa(s, level), level, ipa);
	}
	if (s2tte_is_assigned_ns(s, level)) {
		if (par)
			return fail(c, "unprotected entry at protected IPA 0x%llx", (unsigned long long)ipa);
		if (!granule_range_is_ns(c->rmm, s2tte_pa(s, level), s2tte_map_size(level)))
			return fail(c, "IPA 0x%llx maps a delegated granule unprotected",
				    (unsigned long long)ipa);
		return;
	}
	if (s2tte_is_unassigned(s) && !par)
		return fail(c, "protected unassigned entry at unprotected IPA 0x%llx", (unsigned long long)ipa);
	if (s2tte_is_unassigned_ns(s) && par)
		return fail(c, "unassigned_ns entry at protected IPA 0x%llx", (unsigned long long)ipa);
	if (!s2tte_is_unassigned(s) && !s2tte_is_unassigned_ns(s))
		return fail(c, "malformed entry 0x%llx at IPA 0x%llx level %d", (unsigned long long)s,
			    (unsigned long long)ipa, level);
	if (s2tte_is_unassigned(s) && s2tte_ripas_bits(s) > RMI_DESTROYED)
		return fail(c, "bad RIPAS at IPA 0x%llx", (unsigned long long)ipa);
}

static void check_table(struct checker *c, const struct realm *rd, uint64_t table_pa, int level,
			uint64_t base_ipa, unsigned first, unsigned count)
{
	const uint64_t *t = rtt_table(c->rmm, table_pa);
	unsigned live = 0;

	for (unsigned i = first; i < first + count && !c->failed; i++) {
		uint64_t ipa = base_ipa + (uint64_t)(i - first) * s2tte_map_size(level);

		check_entry(c, rd, t[i], level, ipa);
		live += s2tte_keeps_rtt_live(t[i], level);
	}
	unsigned refs = granule_refcount(granule_find_if_tracked(c->rmm, table_pa));
	if (!c->failed && refs != live)
		fail(c, "RTT 0x%llx (level %d) refcount %u but %u entries keeping it live",
		     (unsigned long long)table_pa, level, refs, live);
}

static void check_realm(struct checker *c, const struct realm *rd, unsigned recs)
{
	uint64_t entry_size = s2tte_map_size(rd->start_level);
	uint64_t entries = realm_ipa_size(rd) / entry_size;

	for (unsigned t = 0; t < rd->num_root_rtts && !c->failed; t++) {
		uint64_t pa = rd->rtt_base + (uint64_t)t * GRANULE_SIZE;
		struct granule *g = granule_find_if_tracked(c->rmm, pa);
		uint64_t first = (uint64_t)t * S2TTES_PER_S2TT;
		unsigned n = (unsigned)(entries - first < S2TTES_PER_S2TT ? entries - first : S2TTES_PER_S2TT);

		if (!g || granule_state(g) != GRANULE_STATE_RTT)
			return fail(c, "root RTT 0x%llx is not an RTT", (unsigned long long)pa);
		if (mark(c, pa) > 1)
			return fail(c, "root RTT 0x%llx reached twice", (unsigned long long)pa);
		check_table(c, rd, pa, rd->start_level, first * entry_size, 0, n);
	}
	struct granule *g_rd = granule_find_if_tracked(c->rmm, rd->rd_pa);
	if (!c->failed && granule_refcount(g_rd) != recs)
		fail(c, "RD 0x%llx refcount %u but %u RECs", (unsigned long long)rd->rd_pa,
		     granule_refcount(g_rd), recs);
}

static unsigned recs_of(struct rmm *rmm, const struct realm *rd)
{
	unsigned n = 0;

	for (size_t ch = 0; ch < rmm->nr_chunks; ch++) {
		struct granule *cg = atomic_load_explicit(&rmm->chunks[ch], memory_order_acquire);

		for (unsigned i = 0; cg && i < GRANULES_PER_CHUNK; i++)
			if (granule_state(&cg[i]) == GRANULE_STATE_REC &&
			    ((struct rec *)cg[i].obj)->realm == rd)
				n++;
	}
	return n;
}

static void check_granule(struct checker *c, struct granule *g, uint64_t pa)
{
	enum granule_state s = granule_state(g);
	bool ns = granule_pas(g) == GPT_PAS_NS;

	if (s >= GRANULE_STATE_COUNT)
		return fail(c, "granule 0x%llx in bad state %d", (unsigned long long)pa, s);
	if (ns != (s == GRANULE_STATE_UNDELEGATED))
		return fail(c, "granule 0x%llx state %d but PAS %s", (unsigned long long)pa, s,
			    ns ? "NS" : "REALM");
	if ((g->obj != NULL) != (s == GRANULE_STATE_RD || s == GRANULE_STATE_REC))
		return fail(c, "granule 0x%llx state %d with descriptor %p", (unsigned long long)pa, s, g->obj);
	if (atomic_load_explicit(&g->lock, memory_order_relaxed))
		return fail(c, "granule 0x%llx left locked", (unsigned long long)pa);
	if ((s == GRANULE_STATE_UNDELEGATED || s == GRANULE_STATE_DELEGATED ||
	     s == GRANULE_STATE_DATA || s == GRANULE_STATE_REC_AUX || s == GRANULE_STATE_REC) &&
	    granule_refcount(g) != 0)
		return fail(c, "granule 0x%llx state %d refcount %u", (unsigned long long)pa, s,
			    granule_refcount(g));
}

int rmm_sim_check_invariants(struct rmm *rmm, char *why, size_t len)
{
	struct checker c = { .rmm = rmm, .why = why, .len = len };

	c.marks = calloc(rmm->nr_chunks ? rmm->nr_chunks : 1, sizeof(*c.marks));
	if (!c.marks) {
		fail(&c, "out of memory");
		return -1;
	}
	/* Pass 1: each granule on its own; pass 2: the realms' RTT trees. */
	for (int pass = 1; pass <= 2 && !c.failed; pass++) {
		for (size_t ch = 0; ch < rmm->nr_chunks && !c.failed; ch++) {
			struct granule *cg = atomic_load_explicit(&rmm->chunks[ch], memory_order_acquire);

			for (unsigned i = 0; cg && i < GRANULES_PER_CHUNK && !c.failed; i++) {
				uint64_t pa = rmm->dram_base +
					      (((uint64_t)ch * GRANULES_PER_CHUNK + i) << GRANULE_SHIFT);
				if (pass == 1)
					check_granule(&c, &cg[i], pa);
				else if (granule_state(&cg[i]) == GRANULE_STATE_RD)
					check_realm(&c, cg[i].obj, recs_of(rmm, cg[i].obj));
			}
		}
	}
	/* Pass 3: everything the trees did not reach is an orphan. */
	for (size_t ch = 0; ch < rmm->nr_chunks && !c.failed; ch++) {
		struct granule *cg = atomic_load_explicit(&rmm->chunks[ch], memory_order_acquire);

		for (unsigned i = 0; cg && i < GRANULES_PER_CHUNK && !c.failed; i++) {
			uint64_t idx = (uint64_t)ch * GRANULES_PER_CHUNK + i;
			enum granule_state s = granule_state(&cg[i]);

			if ((s == GRANULE_STATE_RTT || s == GRANULE_STATE_DATA) && marks_of(&c, idx) != 1)
				fail(&c, "%s granule 0x%llx reached %u times from the realms' RTTs",
				     s == GRANULE_STATE_RTT ? "RTT" : "DATA",
				     (unsigned long long)(rmm->dram_base + (idx << GRANULE_SHIFT)),
				     marks_of(&c, idx));
		}
	}
	for (size_t ch = 0; ch < rmm->nr_chunks; ch++)
		free(c.marks[ch]);
	free(c.marks);
	return c.failed ? -1 : 0;
}
