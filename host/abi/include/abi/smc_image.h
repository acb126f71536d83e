/*
 * An SMC image: a list of RMI calls, exactly as an RMI command file
 * describes them, for a bare-metal caller to issue with real SMCs
 * (tools/rmi_smc_driver issues them at NS-EL2 on TF-RMM under QEMU).
 *
 * Contract: `rme-bench rmi --smc-image OUT FILE` writes it while it runs
 * FILE on the model (bench/rmi_cmd); the driver reads it. Little endian,
 * naturally aligned, no pointers: a header, then per call a record and,
 * when the call passes an NS page (REALM_CREATE and REC_CREATE parameters,
 * REC_ENTER's run page when the file names none), that page's 4096 bytes.
 * The caller puts the page at an address of its own, writes that address
 * into X<page_reg> and issues the SMC; everything else is as recorded.
 * The model's page addresses in x[] mean nothing to another caller.
 */
#ifndef ABI_SMC_IMAGE_H
#define ABI_SMC_IMAGE_H

#include <stdint.h>

#define SMC_IMAGE_MAGIC   "RMEBSMC1"
#define SMC_IMAGE_VERSION 1u
#define SMC_IMAGE_PAGE    4096u

struct smc_image_header {
	char magic[8];            /* SMC_IMAGE_MAGIC, no NUL */
	uint32_t version;         /* SMC_IMAGE_VERSION */
	uint32_t n_calls;
	uint64_t size;            /* bytes of the whole image, header included */
	uint32_t abi;             /* RMI ABI of the file: 0x10000 (1.0) or 0x20000 (2.0) */
	uint32_t reserved;
};

struct smc_image_call {
	uint64_t fid;             /* X0 */
	uint64_t x[6];            /* X1..X6 */
	uint32_t line;            /* line of the command file */
	uint32_t page_reg;        /* 0: no page follows; n: a page follows, its address goes in Xn */
};

_Static_assert(sizeof(struct smc_image_header) == 32, "smc image header layout");
_Static_assert(sizeof(struct smc_image_call) == 64, "smc image call layout");

#endif
