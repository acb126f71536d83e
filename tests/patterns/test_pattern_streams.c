/*
 * Properties of every pattern's action stream, for both backings, realm
 * and normal VMs, several vCPU layouts: finite, inside the vCPU's range,
 * first_touch agreeing with an independent model of what the host maps,
 * page coverage, and the closed-form fault counts each pattern documents.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <payload/pattern.h>

#include "check.h"

#define K4 PATTERN_SZ_4K
#define M2 PATTERN_SZ_2M

struct stream {
	struct payload_action *a;
	size_t n;
};

static uint64_t range_base(const struct pattern_params *p)
{
	return p->overlap ? 0 : (uint64_t)p->vcpu * p->size;
}

/* Generous bound on a stream's length: a runaway generator fails here. */
static size_t stream_bound(const struct pattern_params *p)
{
	return 3 * (p->size / K4) + 8 * (p->size / M2 + 1) + 8;
}

static int collect(const struct pattern *pat, const struct pattern_params *p,
		   struct stream *s)
{
	struct pattern_iter it;
	char err[200];
	size_t bound = stream_bound(p);

	s->n = 0;
	s->a = calloc(bound + 1, sizeof(*s->a));
	if (!s->a || pattern_iter_start(&it, pat, p, err, sizeof(err))) {
		free(s->a);
		s->a = NULL;
		return -1;
	}
	while (s->n <= bound && pattern_iter_next(&it, &s->a[s->n]))
		s->n++;
	CHECK(s->n <= bound);                   /* finite */
	CHECK(!pattern_iter_next(&it, &(struct payload_action){ 0 }) || s->n > bound);
	return 0;
}

/* What the test expects of a stream, from the stream alone. */
struct observed {
	uint32_t *writes;        /* per 4 KiB page of the range */
	uint64_t first_touches;
	uint64_t shared_first_touches;
	uint64_t set_ripas;
};

/*
 * Independent fault model: a protected (or, in a realm, shared) 4 KiB page
 * faults when unmapped; the host then maps the whole backing page; RIPAS
 * EMPTY gives the protected pages of the range up. Every access's
 * first_touch must agree with it.
 */
static void check_stream(const struct pattern_params *p, const struct stream *s,
			 struct observed *o)
{
	uint64_t base = range_base(p), pages = p->size / K4, per_backing = p->page / K4;
	bool *prot = calloc(pages, sizeof(bool)), *shared = calloc(pages, sizeof(bool));

	*o = (struct observed){ .writes = calloc(pages, sizeof(uint32_t)) };
	for (size_t i = 0; i < s->n; i++) {
		const struct payload_action *a = &s->a[i];
		uint64_t rel = a->offset - base;

		CHECK(a->offset >= base && rel < p->size && rel % K4 == 0);
		if (!(a->offset >= base && rel < p->size))
			continue;
		if (a->op == PAYLOAD_SET_RIPAS) {
			CHECK(p->realm);
			CHECK(a->len > 0 && a->len % K4 == 0 && rel + a->len <= p->size);
			CHECK(a->ripas == PAYLOAD_RIPAS_EMPTY || a->ripas == PAYLOAD_RIPAS_RAM);
			if (a->ripas == PAYLOAD_RIPAS_EMPTY)
				for (uint64_t pg = rel / K4; pg < (rel + a->len) / K4 && pg < pages; pg++)
					prot[pg] = false;
			o->set_ripas++;
			continue;
		}
		CHECK(a->op == PAYLOAD_WRITE);
		uint64_t pg = rel / K4;
		bool *mapped = p->realm && a->shared ? shared : prot;
		bool faults = !mapped[pg];

		if (a->first_touch != faults) {
			fprintf(stderr, "  action %zu offset 0x%llx first_touch %d, model says %d\n",
				i, (unsigned long long)a->offset, a->first_touch, faults);
			CHECK(a->first_touch == faults);
		}
		if (faults)
			for (uint64_t j = pg - pg % per_backing; j < pg - pg % per_backing + per_backing; j++)
				mapped[j] = true;
		o->writes[pg]++;
		o->first_touches += a->first_touch;
		o->shared_first_touches += a->first_touch && a->shared;
	}
	free(prot);
	free(shared);
}

/* Closed forms from the patterns' documentation, written out here. */
static uint64_t expected_faults(const char *name, const struct pattern_params *p)
{
	uint64_t per_page = p->size / p->page, regions = p->size / M2;

	if (!strcmp(name, "block"))
		return regions;
	if (!strcmp(name, "unfold"))
		return per_page + (p->realm ? regions : 0);
	if (!strcmp(name, "ripas"))
		return per_page * (p->realm ? 2 : 1);
	return per_page;
}

static uint64_t expected_set_ripas(const char *name, const struct pattern_params *p)
{
	uint64_t chunks = (p->size + M2 - 1) / M2;

	if (!p->realm)
		return 0;
	if (!strcmp(name, "unfold"))
		return 2 * (p->size / M2);
	if (!strcmp(name, "ripas"))
		return 2 * chunks;
	if (!strcmp(name, "shared"))
		return 1;
	if (!strcmp(name, "mixed"))
		return chunks / 2;
	return 0;
}

/* Writes each page of the range gets, by pattern. */
static uint32_t expected_writes(const char *name, const struct pattern_params *p, uint64_t pg)
{
	uint64_t in_region = (pg * K4) % M2;

	if (!strcmp(name, "retouch") || !strcmp(name, "ripas"))
		return 2;
	if (!strcmp(name, "block"))
		return in_region == 0;
	if (!strcmp(name, "unfold")) {
		bool mid = in_region == M2 / 2;

		if (p->page == K4)
			return 1 + mid;
		return (in_region == 0) + mid;
	}
	return 1;
}

static bool params_valid(const struct pattern *pat, const struct pattern_params *p)
{
	bool ripas = !strcmp(pat->name, "ripas") || !strcmp(pat->name, "unfold") ||
		     !strcmp(pat->name, "shared") || !strcmp(pat->name, "mixed");
	bool regions = !strcmp(pat->name, "block") || !strcmp(pat->name, "fold") ||
		       !strcmp(pat->name, "unfold");

	if (!strcmp(pat->name, "block") && p->page != M2)
		return false;
	if (regions && p->size % M2)
		return false;
	return !(p->overlap && p->realm && ripas && p->vcpus > 1);
}

static void check_order(const char *name, const struct pattern_params *p,
			const struct stream *s)
{
	uint64_t base = range_base(p), pages = p->size / K4;

	if (!strcmp(name, "seq") || !strcmp(name, "fold")) {
		CHECK_EQ_U64(s->n, pages);
		for (size_t i = 0; i < s->n; i++)
			CHECK(s->a[i].offset == base + i * K4);
	}
	if (!strcmp(name, "retouch")) {
		CHECK_EQ_U64(s->n, 2 * pages);
		for (size_t i = pages; i < s->n; i++)
			CHECK(!s->a[i].first_touch);
	}
	if (!strcmp(name, "shared")) {
		size_t first_access = p->realm ? 1 : 0;

		if (p->realm) {
			CHECK(s->a[0].op == PAYLOAD_SET_RIPAS && s->a[0].offset == base &&
			      s->a[0].len == p->size && s->a[0].ripas == PAYLOAD_RIPAS_EMPTY);
		}
		for (size_t i = first_access; i < s->n; i++)
			CHECK(s->a[i].shared && s->a[i].op == PAYLOAD_WRITE);
	}
	if (!strcmp(name, "mixed")) {
		int last_kind = -1, switches = 0, same = 0;

		for (size_t i = 0; i < s->n; i++) {
			const struct payload_action *a = &s->a[i];
			bool odd_chunk = ((a->offset - base) / M2) % 2;

			if (a->op == PAYLOAD_SET_RIPAS) {
				CHECK(odd_chunk && (a->offset - base) % M2 == 0);
				continue;
			}
			CHECK(a->shared == odd_chunk);
			if (last_kind >= 0 && a->shared != last_kind)
				switches++;
			else if (last_kind >= 0)
				same++;
			last_kind = a->shared;
		}
		/* Interleaved wherever both chunks of a pair have pages left;
		 * a range of one chunk has nothing to interleave with. */
		if (p->size > M2)
			CHECK(switches > same);
		else
			CHECK(switches == 0);
	}
	if (!strcmp(name, "ripas") || !strcmp(name, "unfold")) {
		/* Every SET_RIPAS EMPTY is followed by a RAM of the same range. */
		for (size_t i = 0; i < s->n; i++) {
			if (s->a[i].op != PAYLOAD_SET_RIPAS || s->a[i].ripas != PAYLOAD_RIPAS_EMPTY)
				continue;
			CHECK(i + 1 < s->n && s->a[i + 1].op == PAYLOAD_SET_RIPAS &&
			      s->a[i + 1].ripas == PAYLOAD_RIPAS_RAM &&
			      s->a[i + 1].offset == s->a[i].offset && s->a[i + 1].len == s->a[i].len);
		}
	}
	if (!strcmp(name, "unfold") && p->realm) {
		for (size_t i = 0; i < s->n; i++)
			if (s->a[i].op == PAYLOAD_SET_RIPAS)
				CHECK(s->a[i].len == K4 && (s->a[i].offset - base) % M2 == M2 / 2);
	}
}

static void check_case(const struct pattern *pat, const struct pattern_params *p)
{
	struct stream s;
	struct observed o;
	struct pattern_counts counts;
	char err[200];
	bool valid = params_valid(pat, p);

	snprintf(check_context, sizeof(check_context),
		 "%s size=%llu page=%llu realm=%d vcpu=%u/%u overlap=%d", pat->name,
		 (unsigned long long)p->size, (unsigned long long)p->page, p->realm,
		 p->vcpu, p->vcpus, p->overlap);
	int rc = collect(pat, p, &s);

	CHECK((rc == 0) == valid);
	CHECK((pattern_count(pat, p, &counts, err, sizeof(err)) == 0) == valid);
	if (rc)
		return;
	check_stream(p, &s, &o);
	for (uint64_t pg = 0; pg < p->size / K4; pg++) {
		uint32_t want = expected_writes(pat->name, p, pg);

		if (o.writes[pg] != want) {
			fprintf(stderr, "  page %llu written %u times, expected %u\n",
				(unsigned long long)pg, o.writes[pg], want);
			CHECK(o.writes[pg] == want);
			break;
		}
	}
	CHECK_EQ_U64(o.first_touches, expected_faults(pat->name, p));
	CHECK_EQ_U64(o.set_ripas, expected_set_ripas(pat->name, p));
	CHECK_EQ_U64(counts.first_touches, o.first_touches);
	CHECK_EQ_U64(counts.shared_first_touches, o.shared_first_touches);
	CHECK_EQ_U64(counts.set_ripas, o.set_ripas);
	CHECK_EQ_U64(counts.actions, s.n);
	check_order(pat->name, p, &s);
	free(o.writes);
	free(s.a);
}

static void check_all_patterns(void)
{
	static const struct { uint64_t page, size; } shapes[] = {
		{ K4, 5 * M2 + 3 * K4 },  /* partial last chunk */
		{ K4, 4 * M2 },
		{ K4, 8 * K4 },           /* smaller than one chunk */
		{ M2, 3 * M2 },           /* odd number of chunks */
		{ M2, 4 * M2 },
	};
	static const struct { uint32_t vcpus, vcpu; bool overlap; } layouts[] = {
		{ 1, 0, false }, { 3, 2, false }, { 2, 1, true },
	};
	const struct pattern *pat;
	int patterns = 0;

	for (size_t i = 0; (pat = pattern_at(i)); i++, patterns++)
		for (size_t sh = 0; sh < sizeof(shapes) / sizeof(shapes[0]); sh++)
			for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++)
				for (int realm = 0; realm < 2; realm++) {
					struct pattern_params p = {
						.size = shapes[sh].size, .page = shapes[sh].page,
						.vcpus = layouts[l].vcpus, .vcpu = layouts[l].vcpu,
						.overlap = layouts[l].overlap, .realm = realm,
						.seed = 7,
					};
					check_case(pat, &p);
				}
	snprintf(check_context, sizeof(check_context), "registry");
	CHECK_EQ_U64(patterns, 9);
}

/* The offsets of rand's writes, in order. */
static void rand_offsets(uint64_t size, uint64_t page, uint64_t seed, uint64_t *out, size_t n)
{
	struct pattern_params p = { .size = size, .page = page, .vcpus = 1, .seed = seed, .realm = true };
	struct pattern_iter it;
	struct payload_action a;
	char err[200];
	size_t i = 0;

	CHECK(pattern_iter_start(&it, pattern_find("rand"), &p, err, sizeof(err)) == 0);
	while (i < n && pattern_iter_next(&it, &a))
		out[i++] = a.offset;
	CHECK(i == n);
}

static void check_rand_seeds(void)
{
	enum { PAGES_4K = 777, BLOCKS = 16 };
	uint64_t a[PAGES_4K], b[PAGES_4K], c[PAGES_4K];
	size_t sorted = 0, differ = 0;

	snprintf(check_context, sizeof(check_context), "rand seeds, 4K backing");
	rand_offsets(PAGES_4K * K4, K4, 1, a, PAGES_4K);
	rand_offsets(PAGES_4K * K4, K4, 1, b, PAGES_4K);
	rand_offsets(PAGES_4K * K4, K4, 2, c, PAGES_4K);
	CHECK(memcmp(a, b, sizeof(a)) == 0);  /* same seed, same order */
	for (size_t i = 0; i < PAGES_4K; i++) {
		differ += a[i] != c[i];
		sorted += i && a[i] > a[i - 1];
	}
	CHECK(differ > PAGES_4K / 2);          /* another seed, another order */
	CHECK(sorted < PAGES_4K * 3 / 4);      /* not address order */

	/* 2M backing: blocks in a seed-dependent order, each block whole. */
	snprintf(check_context, sizeof(check_context), "rand seeds, 2M backing");
	static uint64_t d[BLOCKS * 512], e[BLOCKS * 512];
	rand_offsets(BLOCKS * M2, M2, 1, d, BLOCKS * 512);
	rand_offsets(BLOCKS * M2, M2, 3, e, BLOCKS * 512);
	size_t blocks_differ = 0, inner_sorted = 0;

	for (size_t i = 0; i < BLOCKS * 512; i++) {
		CHECK(d[i] / M2 == d[i - i % 512] / M2);
		if (i % 512 == 0)
			blocks_differ += d[i] / M2 != e[i] / M2;
		else
			inner_sorted += d[i] > d[i - 1];
	}
	CHECK(blocks_differ > BLOCKS / 2);
	CHECK(inner_sorted < BLOCKS * 511 * 3 / 4);
}

/* The vCPUs' ranges tile [0, vcpus * size) without overlap. */
static void check_vcpu_tiling(void)
{
	enum { VCPUS = 4 };
	const uint64_t size = 3 * M2;
	uint8_t *hits = calloc(VCPUS * size / K4, 1);

	snprintf(check_context, sizeof(check_context), "seq vCPU tiling");
	for (uint32_t v = 0; v < VCPUS; v++) {
		struct pattern_params p = { .size = size, .page = K4, .vcpus = VCPUS, .vcpu = v };
		struct pattern_iter it;
		struct payload_action a;
		char err[200];

		CHECK(pattern_iter_start(&it, pattern_find("seq"), &p, err, sizeof(err)) == 0);
		while (pattern_iter_next(&it, &a))
			if (a.offset / K4 < VCPUS * size / K4)
				hits[a.offset / K4]++;
	}
	for (uint64_t pg = 0; pg < VCPUS * size / K4; pg++)
		CHECK(hits[pg] == 1);
	free(hits);
}

int main(void)
{
	check_all_patterns();
	check_rand_seeds();
	check_vcpu_tiling();
	return check_report("test_pattern_streams");
}
