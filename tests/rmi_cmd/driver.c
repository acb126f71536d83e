/*
 * Standalone driver for the `rme-bench rmi` runner, so its tests run
 * without the rme-bench CLI: `rmi-cmd-test-driver [--abi 1.0|2.0] FILE`
 * behaves as `rme-bench rmi [--abi 1.0|2.0] FILE`.
 */
#include "rmi_cmd/rmi_cmd.h"

int main(int argc, char **argv)
{
	/* rmi_cmd_main skips argv[0], as it skips "rmi" under the CLI. */
	return rmi_cmd_main(argc, argv);
}
