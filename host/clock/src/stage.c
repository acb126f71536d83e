/* Stage and fault-kind names: the vocabulary results files use. */
#include "clock/stage.h"

#include <string.h>

static const char *const stage_names[STAGE_COUNT] = {
#define STAGE_NAME(id, name, what) [STAGE_##id] = name,
	STAGE_LIST(STAGE_NAME)
#undef STAGE_NAME
};

static const char *const stage_descriptions[STAGE_COUNT] = {
#define STAGE_WHAT(id, name, what) [STAGE_##id] = what,
	STAGE_LIST(STAGE_WHAT)
#undef STAGE_WHAT
};

static const char *const fault_kind_names[FAULT_KIND_COUNT] = {
	[FAULT_PROTECTED] = "protected",
	[FAULT_UNPROTECTED] = "unprotected",
	[FAULT_RIPAS_CHANGE] = "ripas_change",
	[FAULT_NORMAL] = "normal",
	[FAULT_PERM] = "perm",
};

const char *stage_name(enum stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_names[s] : "invalid";
}

const char *stage_description(enum stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_descriptions[s] : "not a stage";
}

enum stage stage_from_name(const char *name)
{
	if (!name)
		return STAGE_COUNT;
	for (int s = 0; s < STAGE_COUNT; s++)
		if (strcmp(stage_names[s], name) == 0)
			return (enum stage)s;
	return STAGE_COUNT;
}

const char *fault_kind_name(enum fault_kind k)
{
	return (unsigned)k < FAULT_KIND_COUNT ? fault_kind_names[k] : "invalid";
}

enum fault_kind fault_kind_from_name(const char *name)
{
	if (!name)
		return FAULT_KIND_COUNT;
	for (int k = 0; k < FAULT_KIND_COUNT; k++)
		if (strcmp(fault_kind_names[k], name) == 0)
			return (enum fault_kind)k;
	return FAULT_KIND_COUNT;
}
