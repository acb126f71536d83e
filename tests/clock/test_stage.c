/* Stage and fault-kind names round-trip and reject unknown input. */
#include <string.h>

#include "check.h"
#include "clock/stage.h"

int main(void)
{
	for (int s = 0; s < STAGE_COUNT; s++) {
		const char *name = stage_name((enum stage)s);
		CHECK(name && *name);
		CHECK(stage_description((enum stage)s) != NULL);
		CHECK(stage_from_name(name) == (enum stage)s);
		for (int o = 0; o < s; o++)
			CHECK(strcmp(name, stage_name((enum stage)o)) != 0);
	}
	CHECK(strcmp(stage_name(STAGE_REC_EXIT), "rec_exit") == 0);
	CHECK(strcmp(stage_name(STAGE_UNATTRIBUTED), "unattributed") == 0);
	CHECK(stage_from_name("no_such_stage") == STAGE_COUNT);
	CHECK(stage_from_name("") == STAGE_COUNT);
	CHECK(stage_from_name(NULL) == STAGE_COUNT);
	CHECK(strcmp(stage_name(STAGE_COUNT), "invalid") == 0);

	for (int k = 0; k < FAULT_KIND_COUNT; k++) {
		const char *name = fault_kind_name((enum fault_kind)k);
		CHECK(name && *name && strcmp(name, "invalid") != 0);
		CHECK(fault_kind_from_name(name) == (enum fault_kind)k);
	}
	CHECK(strcmp(fault_kind_name(FAULT_KIND_COUNT), "invalid") == 0);
	CHECK(fault_kind_from_name("bogus") == FAULT_KIND_COUNT);
	return check_report("stage");
}
