/*
 * Host side of the payload's QEMU test (qemu_payload_test.py), using the
 * VMM's own code so the test covers it:
 *   params PATTERN VCPUS SIZE PAGE OUT   write the parameter page the VMM
 *       would write (vmm_layout_compute + vmm_params_fill, without the
 *       rme-bench port, which QEMU's virt machine lacks) and print
 *       "results_ipa results_size expected_first_touches";
 *   collect PATTERN VCPUS SIZE PAGE DUMP  decode a dump of the result
 *       slot with vmm_collect and check one record per expected fault.
 * SIZE and PAGE in bytes. Exit 0 on success, 1 on a failed check, 2 on
 * bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm.h"

static int usage(void)
{
	fprintf(stderr, "usage: qemu_guest_tool params|collect PATTERN VCPUS SIZE PAGE FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	char err[256];
	struct vmm_layout l;
	struct vmm_config vc = { 0 };

	if (argc != 7)
		return usage();
	struct run_config cfg = {
		.vm = VM_NORMAL, .pattern = pattern_find(argv[2]),
		.vcpus = (unsigned)strtoul(argv[3], NULL, 0), .size = strtoull(argv[4], NULL, 0),
		.page = strtoull(argv[5], NULL, 0), .seed = 1,
	};
	if (vmm_validate(&cfg, &vc, err, sizeof(err)) ||
	    vmm_layout_compute(&cfg, &l, err, sizeof(err))) {
		fprintf(stderr, "qemu_guest_tool: %s\n", err);
		return 2;
	}
	if (!strcmp(argv[1], "params")) {
		struct rmeb_guest_params p;
		vmm_params_fill(&cfg, &l, &p);
		p.flags &= ~RMEB_PARAM_F_PORT;
		FILE *f = fopen(argv[6], "wb");
		if (!f || fwrite(&p, sizeof(p), 1, f) != 1 || fclose(f)) {
			perror(argv[6]);
			return 1;
		}
		printf("0x%llx %llu %llu\n", (unsigned long long)l.results_ipa,
		       (unsigned long long)l.results_size,
		       (unsigned long long)l.expected_first_touches);
		return 0;
	}
	if (strcmp(argv[1], "collect"))
		return usage();
	FILE *f = fopen(argv[6], "rb");
	uint8_t *buf = malloc(l.results_size);
	if (!f || !buf || fread(buf, 1, l.results_size, f) != l.results_size) {
		fprintf(stderr, "qemu_guest_tool: cannot read %llu bytes from %s\n",
			(unsigned long long)l.results_size, argv[6]);
		return 1;
	}
	fclose(f);
	struct run_result res = { 0 };
	if (vmm_collect(&cfg, &l, buf, l.results_size, &res)) {
		fprintf(stderr, "qemu_guest_tool: %s\n", res.error);
		return 1;
	}
	uint64_t min = UINT64_MAX, max = 0, sum = 0;
	for (size_t i = 0; i < res.n_faults; i++) {
		uint64_t t = res.faults[i].total_ns;
		sum += t;
		min = t < min ? t : min;
		max = t > max ? t : max;
	}
	printf("%s: %zu fault records (expected %llu), guest ns min/mean/max %llu/%llu/%llu, "
	       "span %llu ns\n", argv[2], res.n_faults,
	       (unsigned long long)l.expected_first_touches, (unsigned long long)min,
	       (unsigned long long)(res.n_faults ? sum / res.n_faults : 0),
	       (unsigned long long)max, (unsigned long long)res.total_ns);
	int ok = res.n_faults == l.expected_first_touches && res.dropped_faults == 0 &&
		 res.guest_first_touches == l.expected_first_touches;
	free(res.faults);
	free(buf);
	return ok ? 0 : 1;
}
