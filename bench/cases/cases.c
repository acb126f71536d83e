/*
 * Registration of every case family.
 */
#include "cases.h"

int gbench_cases_register(const struct gbench_case_opts *o)
{
	if (clock_cases_register(o) || rmi_cases_register(o) || pgtable_cases_register(o) ||
	    fault_cases_register(o))
		return -1;
	return 0;
}
