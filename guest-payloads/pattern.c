/*
 * The pattern registry and the checks every pattern shares. Freestanding:
 * no libc calls (the aarch64 guest links this file too).
 */
#include "patterns/pattern_internal.h"

static const struct pattern *const registry[] = {
	&pattern_seq, &pattern_rand, &pattern_block, &pattern_fold,
	&pattern_unfold, &pattern_ripas, &pattern_shared, &pattern_mixed,
	&pattern_retouch,
};

#define REGISTRY_LEN (sizeof(registry) / sizeof(registry[0]))

static bool names_equal(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct pattern *pattern_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < REGISTRY_LEN; i++)
		if (names_equal(registry[i]->name, name))
			return registry[i];
	return NULL;
}

const struct pattern *pattern_at(size_t index)
{
	return index < REGISTRY_LEN ? registry[index] : NULL;
}

/* Checks that hold for every pattern, in the order a user fixes them:
 * backing, size, vCPUs, then what this pattern needs. */
static int check_params(const struct pattern *pat, const struct pattern_params *p,
			char *err, size_t errlen)
{
	if (p->page != PATTERN_SZ_4K && p->page != PATTERN_SZ_2M) {
		payload_errf(err, errlen, "page %u is neither 4K nor 2M", p->page);
		return -1;
	}
	if (p->map_page && p->map_page != PATTERN_SZ_4K && p->map_page != p->page) {
		payload_errf(err, errlen, "map page %S is neither 4K nor the %S backing page",
			     p->map_page, p->page);
		return -1;
	}
	if (p->size == 0) {
		payload_errf(err, errlen, "size must be non-zero");
		return -1;
	}
	if (p->size % p->page) {
		payload_errf(err, errlen, "size %u is not a multiple of the %S page",
			     p->size, p->page);
		return -1;
	}
	if (pat->needs_2m && p->page != PATTERN_SZ_2M) {
		payload_errf(err, errlen, "pattern %s needs 2M backing (page %S given)",
			     pat->name, p->page);
		return -1;
	}
	if (pat->needs_regions && p->size % PATTERN_SZ_2M) {
		payload_errf(err, errlen,
			     "size %u is not a multiple of 2M (pattern %s works on whole 2 MiB regions)",
			     p->size, pat->name);
		return -1;
	}
	if (p->vcpus == 0) {
		payload_errf(err, errlen, "vcpus must be at least 1");
		return -1;
	}
	if (p->vcpu >= p->vcpus) {
		payload_errf(err, errlen, "vcpu %u is out of range (vcpus %u)",
			     (uint64_t)p->vcpu, (uint64_t)p->vcpus);
		return -1;
	}
	if (!p->overlap && p->vcpus > UINT64_MAX / p->size) {
		payload_errf(err, errlen, "size %S times vcpus %u does not fit in 64 bits",
			     p->size, (uint64_t)p->vcpus);
		return -1;
	}
	if (p->overlap && p->realm && pat->changes_ripas && p->vcpus > 1) {
		payload_errf(err, errlen,
			     "overlap is not supported by pattern %s in a realm (vCPUs would change RIPAS under each other)",
			     pat->name);
		return -1;
	}
	return 0;
}

int pattern_iter_start(struct pattern_iter *it, const struct pattern *pat,
		       const struct pattern_params *params, char *err, size_t errlen)
{
	if (!it)
		return -1;
	*it = (struct pattern_iter){ 0 };
	if (!pat || !params) {
		payload_errf(err, errlen, "no pattern or no parameters given");
		return -1;
	}
	if (check_params(pat, params, err, errlen))
		return -1;
	it->p = *params;
	it->base = params->overlap ? 0 : (uint64_t)params->vcpu * params->size;
	if (pat->init(it, err, errlen))
		return -1;
	/* Set last: a failed start leaves an iterator that yields nothing. */
	it->pattern = pat;
	return 0;
}

int pattern_iter_next(struct pattern_iter *it, struct payload_action *a)
{
	if (!it || !it->pattern || !a)
		return 0;
	return it->pattern->next(it, a);
}

int pattern_count(const struct pattern *pat, const struct pattern_params *params,
		  struct pattern_counts *out, char *err, size_t errlen)
{
	struct pattern_iter it;
	struct payload_action a;

	if (!out) {
		payload_errf(err, errlen, "no place for the counts given");
		return -1;
	}
	if (pattern_iter_start(&it, pat, params, err, errlen))
		return -1;
	*out = (struct pattern_counts){ 0 };
	while (pattern_iter_next(&it, &a)) {
		out->actions++;
		if (a.op == PAYLOAD_SET_RIPAS) {
			out->set_ripas++;
			out->ripas_bytes += a.len;
			continue;
		}
		out->accesses++;
		if (a.first_touch) {
			out->first_touches++;
			out->shared_first_touches += a.shared;
		}
	}
	return 0;
}
