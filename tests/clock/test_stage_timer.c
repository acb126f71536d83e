/* Stage timer attribution, driven by a fake clock (explicit tick values). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock/stage_timer.h"

static struct stage_clock_scale identity_scale, half_scale;

static uint64_t sum_named(const struct fault_record *rec)
{
	uint64_t sum = 0;
	for (int s = 0; s < STAGE_COUNT; s++)
		if (s != STAGE_UNATTRIBUTED)
			sum += rec->stage_ns[s];
	return sum;
}

static void test_attribution(void)
{
	struct stage_timer t;
	struct fault_record rec = { .ipa = 0x8000, .vcpu = 3, .rmi_calls = 4 };
	stage_timer_init(&t, true, &identity_scale);
	stage_timer_start_at(&t, &rec, 1000);
	stage_mark_at(&t, STAGE_EXIT_DECODE, 1100);
	stage_mark_at(&t, STAGE_PAGE_PIN, 1300);
	stage_mark_at(&t, STAGE_RTT_CREATE, 1350);
	stage_mark_at(&t, STAGE_RTT_CREATE, 1400);     /* accumulates */
	stage_mark_at(&t, STAGE_UNATTRIBUTED, 1500);   /* skipped interval */
	stage_mark_at(&t, STAGE_DATA_CREATE, 1600);
	stage_timer_stop_at(&t, 1700);

	CHECK_EQ_U64(rec.total_ns, 700);
	CHECK_EQ_U64(rec.stage_ns[STAGE_EXIT_DECODE], 100);
	CHECK_EQ_U64(rec.stage_ns[STAGE_PAGE_PIN], 200);
	CHECK_EQ_U64(rec.stage_ns[STAGE_RTT_CREATE], 100);
	CHECK_EQ_U64(rec.stage_ns[STAGE_DATA_CREATE], 100);
	CHECK_EQ_U64(rec.stage_ns[STAGE_REC_EXIT], 0);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 200);
	/* Identity fields are the caller's and survive. */
	CHECK_EQ_U64(rec.ipa, 0x8000);
	CHECK_EQ_U64(rec.vcpu, 3);
	CHECK_EQ_U64(rec.rmi_calls, 4);

	/* Reuse: start clears the previous fault's stages. */
	stage_timer_start_at(&t, &rec, 5000);
	stage_mark_at(&t, STAGE_S2_MAP, 5040);
	stage_timer_stop_at(&t, 5050);
	CHECK_EQ_U64(rec.total_ns, 50);
	CHECK_EQ_U64(rec.stage_ns[STAGE_S2_MAP], 40);
	CHECK_EQ_U64(rec.stage_ns[STAGE_PAGE_PIN], 0);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 10);
}

static void test_scale_applies(void)
{
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, true, &half_scale); /* 2 ticks per ns */
	stage_timer_start_at(&t, &rec, 0);
	stage_mark_at(&t, STAGE_PAGE_PIN, 600);
	stage_timer_stop_at(&t, 1000);
	CHECK_EQ_U64(rec.total_ns, 500);
	CHECK_EQ_U64(rec.stage_ns[STAGE_PAGE_PIN], 300);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 200);
}

/* The guest stamped its exit before the host started the timer. */
static void test_external_interval(void)
{
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, true, &identity_scale);
	stage_timer_start_at(&t, &rec, 1000);
	stage_add_ticks(&t, STAGE_REC_EXIT, 800, 1000);
	stage_mark_at(&t, STAGE_EXIT_DECODE, 1050);
	/* Re-entry stamped externally after the last mark. */
	stage_add_ticks(&t, STAGE_REC_ENTER, 1100, 1200);
	stage_mark_at(&t, STAGE_UNATTRIBUTED, 1200); /* nothing: last is 1200 */
	stage_timer_stop_at(&t, 1200);
	CHECK_EQ_U64(rec.total_ns, 400);
	CHECK_EQ_U64(rec.stage_ns[STAGE_REC_EXIT], 200);
	CHECK_EQ_U64(rec.stage_ns[STAGE_EXIT_DECODE], 50);
	CHECK_EQ_U64(rec.stage_ns[STAGE_REC_ENTER], 100);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 50);

	/* Empty or reversed intervals add nothing. */
	stage_timer_start_at(&t, &rec, 1000);
	stage_add_ticks(&t, STAGE_REC_EXIT, 900, 900);
	stage_add_ticks(&t, STAGE_REC_EXIT, 950, 900);
	stage_timer_stop_at(&t, 1010);
	CHECK_EQ_U64(rec.total_ns, 10);
	CHECK_EQ_U64(rec.stage_ns[STAGE_REC_EXIT], 0);
}

static void test_disabled(void)
{
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, false, &identity_scale);
	stage_timer_start_at(&t, &rec, 100);
	stage_add_ticks(&t, STAGE_REC_EXIT, 50, 100); /* still extends the fault */
	stage_mark_at(&t, STAGE_PAGE_PIN, 200);
	stage_mark(&t, STAGE_DATA_CREATE);
	stage_timer_stop_at(&t, 300);
	CHECK_EQ_U64(rec.total_ns, 250);
	for (int s = 0; s < STAGE_COUNT; s++)
		CHECK_EQ_U64(rec.stage_ns[s], 0);
}

/* Overlapping external intervals can over-attribute: clamp, never wrap. */
static void test_unattributed_never_negative(void)
{
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, true, &identity_scale);
	stage_timer_start_at(&t, &rec, 1000);
	stage_mark_at(&t, STAGE_PAGE_PIN, 1100);
	stage_add_ticks(&t, STAGE_REC_EXIT, 1000, 1100); /* overlaps PAGE_PIN */
	stage_timer_stop_at(&t, 1100);
	CHECK_EQ_U64(rec.total_ns, 100);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 0);

	/* A clock read going backwards adds nothing and does not rewind. */
	stage_timer_start_at(&t, &rec, 1000);
	stage_mark_at(&t, STAGE_PAGE_PIN, 1100);
	stage_mark_at(&t, STAGE_DATA_CREATE, 1050);
	stage_mark_at(&t, STAGE_DATA_CREATE, 1150);
	stage_timer_stop_at(&t, 1150);
	CHECK_EQ_U64(rec.stage_ns[STAGE_DATA_CREATE], 50);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 0);

	/* Random walks: unattributed == max(0, total - named), as 32 bits. */
	srand(7);
	for (int iter = 0; iter < 2000; iter++) {
		uint64_t now = (uint64_t)rand();
		stage_timer_start_at(&t, &rec, now);
		int marks = rand() % 20;
		for (int m = 0; m < marks; m++) {
			enum stage s = (enum stage)(rand() % STAGE_COUNT);
			if (rand() % 4 == 0) {
				uint64_t from = now - (uint64_t)(rand() % 500);
				stage_add_ticks(&t, s, from, from + (uint64_t)(rand() % 1000));
			} else {
				now += (uint64_t)(rand() % 1000);
				stage_mark_at(&t, s, now);
			}
		}
		stage_timer_stop_at(&t, now + (uint64_t)(rand() % 100));
		uint64_t named = sum_named(&rec);
		uint64_t want = rec.total_ns > named ? rec.total_ns - named : 0;
		CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], want);
	}
}

static void test_saturation(void)
{
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, true, &identity_scale);
	stage_timer_start_at(&t, &rec, 0);
	stage_mark_at(&t, STAGE_PAGE_PIN, 10ULL * UINT32_MAX);
	stage_timer_stop_at(&t, 10ULL * UINT32_MAX + 5);
	CHECK_EQ_U64(rec.total_ns, 10ULL * UINT32_MAX + 5);
	CHECK_EQ_U64(rec.stage_ns[STAGE_PAGE_PIN], UINT32_MAX);
	CHECK_EQ_U64(rec.stage_ns[STAGE_UNATTRIBUTED], 5);
}

/* With the real clock: plausible, and total covers the named stages. */
static void test_real_clock(void)
{
	CHECK(stage_clock_init() == 0);
	struct stage_timer t;
	struct fault_record rec = { 0 };
	stage_timer_init(&t, true, NULL);
	stage_timer_start(&t, &rec);
	volatile uint64_t sink = 0;
	for (int i = 0; i < 10000; i++)
		sink += (uint64_t)i;
	CHECK(sink > 0);
	stage_mark(&t, STAGE_PAGE_PIN);
	stage_mark(&t, STAGE_DATA_CREATE);
	stage_timer_stop(&t);
	CHECK(rec.total_ns > 0);
	CHECK(rec.stage_ns[STAGE_PAGE_PIN] > 0);
	CHECK(sum_named(&rec) <= rec.total_ns + STAGE_COUNT);
}

/* Mark hook (--perf-stages): told of every boundary on the marking
 * thread, before the clock is read, so its own cost lands in the stage
 * it closes; never called by a disabled timer or the *_at variants. */
struct hook_log {
	enum stage seen[8];
	int n;
	uint64_t spin_ns;
};

static void log_hook(void *ctx, enum stage closed)
{
	struct hook_log *l = ctx;
	if (l->n < 8)
		l->seen[l->n++] = closed;
	uint64_t t0 = stage_clock_now();
	while (stage_clock_ticks_to_ns(stage_clock_now() - t0) < l->spin_ns)
		;
}

static void test_mark_hook(void)
{
	struct hook_log log = { .n = 0 };
	struct stage_timer t;
	struct fault_record rec = { 0 };

	CHECK(stage_clock_init() == 0);
	stage_timer_init(&t, true, NULL);
	stage_timer_set_hook(&t, log_hook, &log);
	stage_timer_start(&t, &rec);
	stage_mark(&t, STAGE_EXIT_DECODE);
	log.spin_ns = 200000; /* 200 us in the hook */
	stage_mark(&t, STAGE_PAGE_PIN);
	log.spin_ns = 0;
	stage_mark_at(&t, STAGE_DATA_CREATE, stage_clock_now()); /* explicit: no hook */
	stage_add_ticks(&t, STAGE_REC_ENTER, t.last, t.last + 1); /* stamped elsewhere */
	stage_timer_stop(&t);
	CHECK(log.n == 3);
	CHECK(log.seen[0] == STAGE_COUNT);
	CHECK(log.seen[1] == STAGE_EXIT_DECODE);
	CHECK(log.seen[2] == STAGE_PAGE_PIN);
	/* The hook's 200 us are page_pin's, not the next stage's. */
	CHECK(rec.stage_ns[STAGE_PAGE_PIN] >= 200000);
	CHECK(rec.stage_ns[STAGE_DATA_CREATE] < 200000);

	/* The hook survives start; a disabled timer never calls it. */
	log.n = 0;
	stage_timer_start(&t, &rec);
	CHECK(log.n == 1);
	stage_timer_init(&t, false, NULL);
	stage_timer_set_hook(&t, log_hook, &log);
	log.n = 0;
	stage_timer_start(&t, &rec);
	stage_mark(&t, STAGE_PAGE_PIN);
	stage_timer_stop(&t);
	CHECK(log.n == 0);
	/* Unbound: nothing called. */
	stage_timer_init(&t, true, NULL);
	stage_timer_set_hook(&t, log_hook, &log);
	stage_timer_set_hook(&t, NULL, NULL);
	stage_timer_start(&t, &rec);
	stage_mark(&t, STAGE_PAGE_PIN);
	CHECK(log.n == 0);
}

int main(void)
{
	CHECK(stage_clock_scale_from_rate(&identity_scale, 1.0) == 0);
	CHECK(stage_clock_scale_from_rate(&half_scale, 2.0) == 0);
	test_attribution();
	test_scale_applies();
	test_external_interval();
	test_disabled();
	test_unattributed_never_negative();
	test_saturation();
	test_real_clock();
	test_mark_hook();
	return check_report("stage_timer");
}
