/*
 * rme-bench: what Arm CCA realms pay for stage-2 memory.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "results/provenance.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rme-bench COMMAND [ARGS]\n"
		"\n"
		"  run     [--backend sim] [--vm realm|normal|both] [--pattern LIST]\n"
		"          [--size BYTES] [--page 4K|2M] [--vcpus LIST] [--abi 1.0|2.0]\n"
		"          [--policy NAME] [--profile NAME] [--repeat N] [--seed N]\n"
		"          [--pin CPULIST] [--stage-timing on|off] [--out DIR]\n"
		"          measure stage-2 faults; no options: the default suite\n"
		"  list    patterns|policies|profiles|stages\n"
		"  rmi     [--abi 1.0|2.0] FILE   run RMI commands against the RMM model\n"
		"  gbench  [--out DIR] [OPTIONS] [-- GBENCH-FLAGS]   Google Benchmark cases\n"
		"          into DIR/gbench.json ('rme-bench gbench --help')\n"
		"  plot    [--out DIR] DIR [DIR...]   PNG and SVG figures into DIR/plots\n"
		"  compare [--fail-above PCT] [--metric M] [--json] A B\n"
		"          per-stage medians, ratios with 95%% CIs, count differences\n"
		"  trace   check|record|ingest   in-kernel stage timing through tracefs\n"
		"          ('rme-bench trace --help')\n"
		"  insn    merge --spans FILE DIR   add QEMU-plugin instruction counts to DIR\n"
		"  version\n"
		"\n"
		"'rme-bench run --help' explains every option.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "rmi"))
		return rmi_cmd_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "gbench"))
		return cmd_gbench(argc - 1, argv + 1);
	if (!strcmp(cmd, "plot"))
		return cmd_plot(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "insn"))
		return cmd_insn(argc - 1, argv + 1);
	if (!strcmp(cmd, "version")) {
		printf("rme-bench %s (%s%s)\n", RMEB_VERSION, results_git_rev(),
		       results_git_dirty() == 1 ? ", modified" : "");
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "rme-bench: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
