/* Fault log: append, growth, overflow counting, merge. */
#include <stdlib.h>

#include "check.h"
#include "clock/fault_log.h"

static struct fault_record make_record(uint32_t vcpu, uint64_t i)
{
	struct fault_record rec = { .ipa = i << 12, .total_ns = 1000 + i, .vcpu = vcpu,
				    .kind = FAULT_PROTECTED, .level = 3 };
	rec.stage_ns[STAGE_PAGE_PIN] = (uint32_t)i;
	return rec;
}

static void test_append_and_overflow(void)
{
	CHECK(fault_log_create(0, 0) == NULL);

	struct fault_log *log = fault_log_create(2, 4);
	CHECK(log != NULL);
	if (!log)
		return;
	for (uint64_t i = 0; i < 4; i++) {
		struct fault_record rec = make_record(2, i);
		CHECK(fault_log_append(log, &rec));
	}
	/* Full: the next two are dropped and earlier records stay intact. */
	struct fault_record extra = make_record(2, 99);
	CHECK(!fault_log_append(log, &extra));
	struct fault_record *slot = fault_log_next(log);
	CHECK(slot != NULL);
	slot->ipa = 0xdead000;
	CHECK_EQ_U64(fault_log_count(log), 4);
	CHECK_EQ_U64(fault_log_dropped(log), 2);
	for (uint64_t i = 0; i < 4; i++) {
		const struct fault_record *rec = fault_log_get(log, i);
		CHECK(rec && rec->ipa == i << 12 && rec->total_ns == 1000 + i);
	}
	CHECK(fault_log_get(log, 4) == NULL);

	/* Growth (cold path) makes room again. */
	CHECK(fault_log_grow(log, 3) == 0);
	for (uint64_t i = 4; i < 7; i++) {
		struct fault_record *rec = fault_log_next(log);
		CHECK_EQ_U64(rec->vcpu, 2);
		CHECK_EQ_U64(rec->total_ns, 0);
		*rec = make_record(2, i);
	}
	CHECK(!fault_log_append(log, &extra));
	CHECK_EQ_U64(fault_log_count(log), 7);
	CHECK_EQ_U64(fault_log_dropped(log), 3);
	for (uint64_t i = 0; i < 7; i++) {
		const struct fault_record *rec = fault_log_get(log, i);
		CHECK(rec && rec->ipa == i << 12);
	}

	fault_log_reset(log);
	CHECK_EQ_U64(fault_log_count(log), 0);
	CHECK_EQ_U64(fault_log_dropped(log), 0);
	for (uint64_t i = 0; i < 7; i++) {
		struct fault_record rec = make_record(2, i + 100);
		CHECK(fault_log_append(log, &rec));
	}
	CHECK(!fault_log_append(log, &extra));
	CHECK_EQ_U64(fault_log_get(log, 6)->ipa, 106ULL << 12);
	fault_log_destroy(log);
	fault_log_destroy(NULL);
}

static void test_merge(void)
{
	struct fault_log *logs[3];
	const size_t counts[3] = { 5, 0, 9 };
	for (uint32_t v = 0; v < 3; v++) {
		logs[v] = fault_log_create(v, 4);
		if (v == 2)
			CHECK(fault_log_grow(logs[v], 4) == 0);
		for (uint64_t i = 0; i < counts[v]; i++) {
			struct fault_record rec = make_record(v, i);
			fault_log_append(logs[v], &rec);
		}
	}
	struct fault_record *merged = NULL;
	size_t n = 0;
	uint64_t dropped = 0;
	CHECK(fault_log_merge(logs, 3, &merged, &n, &dropped) == 0);
	CHECK_EQ_U64(n, 4 + 0 + 8);
	CHECK_EQ_U64(dropped, 1 + 0 + 1);
	size_t at = 0;
	for (uint32_t v = 0; v < 3; v++) {
		size_t kept = counts[v] > 4 * (v == 2 ? 2 : 1) ? 4 * (v == 2 ? 2 : 1) : counts[v];
		for (uint64_t i = 0; i < kept; i++, at++) {
			CHECK_EQ_U64(merged[at].vcpu, v);
			CHECK_EQ_U64(merged[at].ipa, i << 12);
		}
	}
	CHECK_EQ_U64(at, n);
	free(merged);

	/* No records at all: NULL, zero. */
	struct fault_log *empty = fault_log_create(0, 1);
	CHECK(fault_log_merge(&empty, 1, &merged, &n, NULL) == 0);
	CHECK(merged == NULL && n == 0);
	fault_log_destroy(empty);
	for (int v = 0; v < 3; v++)
		fault_log_destroy(logs[v]);
}

int main(void)
{
	test_append_and_overflow();
	test_merge();
	return check_report("fault_log");
}
