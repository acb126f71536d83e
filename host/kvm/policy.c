/*
 * The policy registry. To add a policy: write policies/<name>.c defining
 * `const struct kvm_policy policy_<name>`, declare it in kvm/policy.h, add
 * it to the table below, and list the file in CMakeLists.txt.
 */
#include "kvm/policy.h"

static const struct kvm_policy *const policies[] = {
	&policy_cca_v1,
	&policy_cca_rmm2,
	&policy_normal,
};

const struct kvm_policy *kvm_policy_at(size_t index)
{
	return index < sizeof(policies) / sizeof(policies[0]) ? policies[index] : NULL;
}

const struct kvm_policy *kvm_policy_find(const char *name)
{
	for (size_t i = 0; kvm_policy_at(i); i++) {
		const char *a = policies[i]->name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (!*a && !*b)
			return policies[i];
	}
	return NULL;
}
