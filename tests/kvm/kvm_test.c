#include "kvm_test.h"

#include <string.h>

#include "kvm/policy.h"
#include "clock/stage_clock.h"

int kvm_test_failures;

int kvm_test_run(const struct kvm_test_run *t, struct run_result *res)
{
	static bool clock_ready;
	if (!clock_ready) {
		if (stage_clock_init()) {
			fprintf(stderr, "no stage clock\n");
			kvm_test_failures++;
			return -1;
		}
		clock_ready = true;
	}
	struct run_config cfg = {
		.vm = !strcmp(t->vm, "realm") ? VM_REALM : VM_NORMAL,
		.policy = kvm_policy_find(t->policy),
		.pattern = pattern_find(t->pattern),
		.size = t->size,
		.page = t->page,
		.hugetlb = !t->thp,
		.vcpus = t->vcpus,
		.seed = 1,
		.stage_timing = true,
		.fresh_backing = t->fresh,
		.overlap = t->overlap,
		.phases = t->phases,
		.populate = t->populate,
		.populate_measured = !t->unmeasured,
		.fault_sample = t->fault_sample,
	};
	if (sim_run(&cfg, res)) {
		fprintf(stderr, "%s %s %s: %s\n", t->vm, t->policy, t->pattern, res->error);
		kvm_test_failures++;
		return -1;
	}
	if (res->error[0]) {
		fprintf(stderr, "%s %s %s: %s\n", t->vm, t->policy, t->pattern, res->error);
		kvm_test_failures++;
	}
	return 0;
}

uint64_t kvm_test_count(const struct run_result *res, const char *name)
{
	for (size_t i = 0; i < res->n_counts; i++)
		if (!strcmp(res->counts[i].name, name))
			return res->counts[i].count;
	return 0;
}

uint64_t kvm_test_kind(const struct run_result *res, enum fault_kind kind)
{
	uint64_t n = 0;
	for (size_t i = 0; i < res->n_faults; i++)
		n += res->faults[i].kind == kind;
	return n;
}

uint64_t kvm_test_expected(const struct kvm_test_run *t)
{
	uint64_t total = 0;
	char err[200];

	for (unsigned v = 0; v < t->vcpus; v++) {
		struct pattern_params pp = {
			.size = t->size, .page = t->page, .vcpus = t->vcpus, .vcpu = v,
			.seed = 1, .realm = !strcmp(t->vm, "realm"), .overlap = t->overlap,
			.map_page = kvm_policy_map_limit(kvm_policy_find(t->policy), t->page,
							 !t->thp),
		};
		struct pattern_counts c;
		if (pattern_count(pattern_find(t->pattern), &pp, &c, err, sizeof(err))) {
			fprintf(stderr, "pattern_count: %s\n", err);
			kvm_test_failures++;
			return 0;
		}
		total += c.first_touches;
	}
	return total;
}
