/*
 * The policy registry, generated from KVM_POLICY_LIST in kvm/policy.h:
 * to add a policy, write policies/<id>.c defining
 * `const struct kvm_policy policy_<id>` and add X(<id>) to the list.
 */
#include <string.h>

#include "kvm/policy.h"

static const struct kvm_policy *const policies[] = {
#define KVM_POLICY_ENTRY(id) &policy_##id,
	KVM_POLICY_LIST(KVM_POLICY_ENTRY)
#undef KVM_POLICY_ENTRY
};

const struct kvm_policy *kvm_policy_at(size_t index)
{
	return index < sizeof(policies) / sizeof(policies[0]) ? policies[index] : NULL;
}

const struct kvm_policy *kvm_policy_find(const char *name)
{
	for (size_t i = 0; name && kvm_policy_at(i); i++)
		if (!strcmp(policies[i]->name, name) ||
		    (policies[i]->alias && !strcmp(policies[i]->alias, name)))
			return policies[i];
	return NULL;
}

bool kvm_policy_same(const char *a, const char *b)
{
	const struct kvm_policy *pa = kvm_policy_find(a);
	return pa ? pa == kvm_policy_find(b) : !strcmp(a, b);
}

const struct kvm_policy *kvm_policy_of_series(const char *series)
{
	for (size_t i = 0; series && kvm_policy_at(i); i++)
		if (policies[i]->series && !strcmp(policies[i]->series, series))
			return policies[i];
	return NULL;
}

uint64_t kvm_policy_map_limit(const struct kvm_policy *p, uint64_t backing_page, bool hugetlb)
{
	unsigned from = hugetlb ? KVM_BLOCKS_FROM_HUGETLB : KVM_BLOCKS_FROM_THP;

	if (backing_page == KVM_PAGE_2M && (p->block_backings & from))
		return KVM_PAGE_2M;
	return KVM_PAGE_4K;
}
