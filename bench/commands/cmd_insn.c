/*
 * `rme-bench insn merge --spans FILE [--qemu-version V] DIR`: join the
 * QEMU instruction plugin's spans (tools/qemu_insn_plugin) into the
 * results directory DIR of the same run (bench/report/insn_merge.h).
 * Exit 0 merged, 2 bad usage or a span file that does not belong to DIR
 * (run id, vCPU or fault count mismatch), 1 I/O failure.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "report/insn_merge.h"

static int insn_usage(FILE *out, int rc)
{
	fprintf(out, "usage: rme-bench insn merge --spans FILE [--qemu-version V] DIR\n"
		     "  Adds per-fault emulated instruction counts (by world, op class, host\n"
		     "  kernel stage) from rme-bench's QEMU plugin to the results in DIR.\n");
	return rc;
}

int cmd_insn(int argc, char **argv)
{
	struct insn_merge_opts o = { 0 };
	if (argc < 2 || strcmp(argv[1], "merge") != 0)
		return insn_usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
				  argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--spans") && i + 1 < argc)
			o.spans = argv[++i];
		else if (!strcmp(argv[i], "--qemu-version") && i + 1 < argc)
			o.qemu_version = argv[++i];
		else if (argv[i][0] != '-' && !o.dir)
			o.dir = argv[i];
		else
			return insn_usage(stderr, 2);
	}
	if (!o.spans || !o.dir)
		return insn_usage(stderr, 2);
	char err[512];
	int rc = insn_merge(&o, err, sizeof(err));
	if (rc)
		fprintf(stderr, "rme-bench insn merge: %s\n", err);
	return rc;
}
