/*
 * Every validation error of pattern_iter_start: refused, with a message
 * naming the parameter, and an iterator that yields nothing afterwards.
 */
#include <stdint.h>

#include <payload/pattern.h>

#include "check.h"

#define K4 PATTERN_SZ_4K
#define M2 PATTERN_SZ_2M

static void expect_error(const char *pattern, struct pattern_params p, const char *want)
{
	struct pattern_iter it;
	struct payload_action a;
	struct pattern_counts counts;
	char err[200] = "";

	snprintf(check_context, sizeof(check_context), "%s: expect \"%s\"", pattern, want);
	CHECK(pattern_iter_start(&it, pattern_find(pattern), &p, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, want);
	CHECK(pattern_iter_next(&it, &a) == 0);
	err[0] = '\0';
	CHECK(pattern_count(pattern_find(pattern), &p, &counts, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, want);
}

static void expect_ok(const char *pattern, struct pattern_params p)
{
	struct pattern_iter it;
	char err[200] = "";

	snprintf(check_context, sizeof(check_context), "%s: expect success", pattern);
	CHECK(pattern_iter_start(&it, pattern_find(pattern), &p, err, sizeof(err)) == 0);
	CHECK(err[0] == '\0');
}

static void check_messages(void)
{
	const struct pattern_params ok = { .size = 4 * M2, .page = K4, .vcpus = 2, .vcpu = 1,
					   .realm = true };
	struct pattern_params p;

	p = ok; p.size = 5000;
	expect_error("seq", p, "size 5000 is not a multiple of the 4K page");
	p = ok; p.page = M2; p.size = M2 + K4;
	expect_error("rand", p, "size 2101248 is not a multiple of the 2M page");
	p = ok; p.size = 0;
	expect_error("seq", p, "size must be non-zero");
	p = ok; p.page = 8192;
	expect_error("seq", p, "page 8192 is neither 4K nor 2M");
	p = ok; p.page = 0;
	expect_error("retouch", p, "page 0 is neither 4K nor 2M");
	p = ok; p.page = M2; p.map_page = 8192;
	expect_error("seq", p, "map page 8K is neither 4K nor the 2M backing page");
	p = ok; p.vcpu = 2;
	expect_error("seq", p, "vcpu 2 is out of range (vcpus 2)");
	p = ok; p.vcpus = 0; p.vcpu = 0;
	expect_error("seq", p, "vcpus must be at least 1");
	p = ok;
	expect_error("block", p, "pattern block needs 2M backing (page 4K given)");
	p = ok; p.size = M2 + 8 * K4;
	expect_error("fold", p, "size 2129920 is not a multiple of 2M (pattern fold");
	expect_error("unfold", p, "size 2129920 is not a multiple of 2M (pattern unfold");
	p = ok; p.size = 1ULL << 62; p.vcpus = 8; p.vcpu = 0;
	expect_error("seq", p, "size 4294967296G times vcpus 8 does not fit in 64 bits");
	p = ok; p.overlap = true;
	expect_error("ripas", p, "overlap is not supported by pattern ripas in a realm");
	expect_error("shared", p, "overlap is not supported by pattern shared");
	expect_error("mixed", p, "overlap is not supported by pattern mixed");

	/* The same shapes where they are fine. */
	p = ok; p.overlap = true; p.realm = false;
	expect_ok("ripas", p);
	p = ok; p.overlap = true;
	expect_ok("seq", p);
	p = ok; p.page = M2;
	expect_ok("block", p);
	p = ok; p.size = M2 + 8 * K4;
	expect_ok("ripas", p);
	p = ok; p.size = 1ULL << 62; p.vcpus = 8; p.vcpu = 0; p.overlap = true;
	expect_ok("seq", p);
}

static void check_registry_misuse(void)
{
	struct pattern_iter it;
	struct pattern_params p = { .size = M2, .page = K4, .vcpus = 1 };
	char err[200] = "";
	char tiny[8];

	snprintf(check_context, sizeof(check_context), "registry misuse");
	CHECK(pattern_find("nope") == NULL);
	CHECK(pattern_find(NULL) == NULL);
	CHECK(pattern_find("seq ") == NULL);
	CHECK(pattern_find("se") == NULL);
	CHECK(pattern_at(9) == NULL);
	CHECK(pattern_iter_start(&it, NULL, &p, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "no pattern");
	CHECK(pattern_iter_start(&it, pattern_find("seq"), NULL, err, sizeof(err)) == -1);
	/* Messages are cut to the buffer and stay terminated. */
	p.size = 5000;
	CHECK(pattern_iter_start(&it, pattern_find("seq"), &p, tiny, sizeof(tiny)) == -1);
	CHECK(strlen(tiny) == sizeof(tiny) - 1 && !strncmp(tiny, "size 50", 7));
	p.size = M2;
	CHECK(pattern_count(pattern_find("seq"), &p, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "no place for the counts");
	p.size = 5000;
	/* No buffer at all is not a crash. */
	CHECK(pattern_iter_start(&it, pattern_find("seq"), &p, NULL, 0) == -1);
}

int main(void)
{
	check_messages();
	check_registry_misuse();
	return check_report("test_pattern_errors");
}
