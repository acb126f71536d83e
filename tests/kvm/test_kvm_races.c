/*
 * vCPUs racing on the same pages (overlap: every vCPU walks the same
 * range). Whatever the interleaving, each page must end up mapped exactly
 * once, no granule may leak, no guest access may fail, and no exit may be
 * unexpected. Runs under TSan in CI (label threads).
 */
#include <string.h>

#include "kvm_test.h"

#define MB (1ULL << 20)

static uint64_t races_seen;

static void race(const char *vm, const char *policy, const char *pattern, uint64_t page,
		 unsigned vcpus)
{
	struct kvm_test_run t = { .vm = vm, .policy = policy, .pattern = pattern,
				  .size = 2 * MB, .page = page, .vcpus = vcpus, .overlap = true };
	struct run_result r = { 0 };
	uint64_t pages = t.size / page;

	if (kvm_test_run(&t, &r))
		return;
	CHECK_EQ(r.leaked_granules, 0);
	CHECK_EQ(r.guest_errors, 0);
	CHECK_EQ(r.unexpected_exits, 0);
	/* Retries of a vCPU waiting on another one's block map can outrun the
	 * fault log (dropped, and reported as such): count them too. */
	/* Every page faulted at least once; at most once per vCPU, plus one
	 * more for each race the host resolved by letting the guest retry
	 * (its access then faults again). */
	uint64_t faults = r.n_faults + r.dropped_faults - kvm_test_kind(&r, FAULT_RIPAS_CHANGE);
	CHECK(faults >= pages);
	if (faults > pages * vcpus + r.races) {
		fprintf(stderr, "%s %s %s x%u: %llu faults for %llu pages, %llu races\n", vm,
			policy, pattern, vcpus, (unsigned long long)faults,
			(unsigned long long)pages, (unsigned long long)r.races);
		kvm_test_failures++;
	}
	/* A page that faulted more than once was lost to a race and handled
	 * as one (the host saw it mapped, or let the guest retry). */
	if (!strcmp(vm, "realm") && strcmp(pattern, "shared")) {
		const char *create = !strcmp(policy, "cca-v1") ? "RMI_DATA_CREATE_UNKNOWN"
							      : "RMI_RTT_DATA_MAP";
		/* At least one successful map per page (failed ones are the
		 * ERROR_RTT retries and the races). */
		CHECK(kvm_test_count(&r, create) >=
		      (page == 4096 || !strcmp(policy, "cca-rmm2") ? pages : 512 * pages));
	}
	races_seen += r.races;
	run_result_free(&r);
}

int main(void)
{
	for (int round = 0; round < 3; round++) {
		race("realm", "cca-v1", "seq", 4096, 4);
		race("realm", "cca-v1", "rand", 4096, 3);
		race("realm", "cca-v1", "block", 2 * MB, 4);
		race("realm", "cca-rmm2", "seq", 4096, 4);
		race("realm", "cca-rmm2", "block", 2 * MB, 4);
		race("realm", "cca-v1", "shared", 4096, 1); /* RIPAS + alias */
		race("realm", "cca-v1", "mixed", 4096, 1);
		race("normal", "normal", "seq", 4096, 4);
		race("normal", "normal", "block", 2 * MB, 4);
	}
	/* Informational: on a loaded or single-core host races may not occur;
	 * the checks above hold either way. */
	printf("races handled by the host: %llu\n", (unsigned long long)races_seen);
	if (kvm_test_failures)
		fprintf(stderr, "test_kvm_races: %d check(s) failed\n", kvm_test_failures);
	return kvm_test_failures ? 1 : 0;
}
