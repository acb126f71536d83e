/*
 * `rme-bench list patterns|policies|profiles|stages`.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "kvm/policy.h"
#include "harness/profiles.h"
#include "payload/pattern_list.h"
#include "clock/stage.h"

static void list_policies(void)
{
	for (size_t i = 0; kvm_policy_at(i); i++) {
		const struct kvm_policy *p = kvm_policy_at(i);
		printf("%-14s %-7s %-8s %s%s%s%s\n", p->name, p->vm == VM_REALM ? "realm" : "normal",
		       p->vm == VM_REALM ? (p->abi == RMI_ABI_1_0 ? "RMI 1.0" : "RMI 2.0") : "-",
		       p->summary, p->alias ? " [old name: " : "", p->alias ? p->alias : "",
		       p->alias ? "]" : "");
	}
}

static void list_stages(void)
{
	for (int s = 0; s < STAGE_COUNT; s++)
		printf("%-17s %s\n", stage_name(s), stage_description(s));
}

static void list_profiles(void)
{
	for (size_t i = 0; cost_profile_at(i); i++) {
		const struct cost_profile *p = cost_profile_at(i);
		printf("%-13s %s\n", p->name, p->summary);
		if (p->smc_ns > 0)
			printf("%-13s   source: %s; not modeled: %s\n", "", p->source,
			       p->not_modeled);
		if (p->per_call) {
			printf("%-13s   per call at %.1f GHz, IPC %.1f: %s\n", "", p->ghz, p->ipc,
			       p->per_call_source);
			for (const struct cmd_icount *c = p->per_call; c->command; c++)
				printf("%-13s   %s %-30s %8.0f instructions\n", "", c->abi,
				       c->command, c->instructions);
		}
	}
}

int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : NULL;

	if (argc != 2 || !what) {
		fprintf(stderr, "usage: rme-bench list patterns|policies|profiles|stages\n");
		return 2;
	}
	if (!strcmp(what, "patterns"))
		pattern_list_print(stdout);
	else if (!strcmp(what, "policies"))
		list_policies();
	else if (!strcmp(what, "profiles"))
		list_profiles();
	else if (!strcmp(what, "stages"))
		list_stages();
	else {
		fprintf(stderr, "rme-bench list: unknown list '%s' "
				"(patterns, policies, profiles, stages)\n", what);
		return 2;
	}
	return 0;
}
