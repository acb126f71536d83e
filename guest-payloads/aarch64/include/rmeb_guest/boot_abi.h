/*
 * The contract between the aarch64 bare-metal payload and the VMM that
 * runs it (host/vmm): guest memory map, the parameter page the VMM fills
 * before the first vCPU runs, the result area the guest fills before it
 * powers off, and the MMIO registers the VMM emulates.
 *
 * Both sides compile this header (the guest freestanding, the VMM on any
 * host): fixed-width types only, every layout pinned by _Static_assert.
 *
 * Memory map (IPA; the same as QEMU's `virt` machine where they overlap,
 * so the image also boots there with `-kernel`):
 *   0x0900_0000  PL011 data register (console; the VMM emulates TX only)
 *   0x0a00_0000  rme-bench port (RMEB_PORT_*; VMM only)
 *   0x4000_0000  RAM: boot slot (parameter page at +64 KiB: QEMU puts a
 *                boot stub at +0; image at +512 KiB; bss, stacks)
 *   0x4200_0000  data slot: the pattern's memory (vcpus * size, or size
 *                under overlap), backed as --page asks
 *   after it     result slot (2 MiB aligned): per-vCPU results and samples
 * In a realm every guest access to a device or to the result slot goes
 * through the unprotected alias (IPA | 1 << (ipa_width - 1)); the result
 * slot is made RIPAS EMPTY first so the host can read it.
 *
 * Failure: a guest that cannot run (bad parameters, RSI error) writes its
 * message into the result area, sets status != 0 and still powers off.
 */
#ifndef RMEB_GUEST_BOOT_ABI_H
#define RMEB_GUEST_BOOT_ABI_H

#ifdef __ASSEMBLER__
#define RMEB_U64(x) x
#else
#include <stdint.h>
#define RMEB_U64(x) x##ULL
#endif

#define RMEB_GUEST_UART_IPA      RMEB_U64(0x09000000)
#define RMEB_GUEST_PORT_IPA      RMEB_U64(0x0a000000)
#define RMEB_GUEST_MMIO_SIZE     RMEB_U64(0x1000)
#define RMEB_GUEST_RAM_IPA       RMEB_U64(0x40000000)
#define RMEB_GUEST_PARAMS_IPA    (RMEB_GUEST_RAM_IPA + RMEB_U64(0x10000))
#define RMEB_GUEST_IMAGE_OFFSET  RMEB_U64(0x80000)   /* arm64 Image text_offset */
#define RMEB_GUEST_IMAGE_IPA     (RMEB_GUEST_RAM_IPA + RMEB_GUEST_IMAGE_OFFSET)
#define RMEB_GUEST_BOOT_SIZE     (RMEB_U64(32) << 20)
#define RMEB_GUEST_DATA_IPA      (RMEB_GUEST_RAM_IPA + RMEB_GUEST_BOOT_SIZE)
#define RMEB_GUEST_MAX_VCPUS     64
#define RMEB_GUEST_STACK_SIZE    (RMEB_U64(16) << 10)

/* PL011 registers the guest uses. */
#define RMEB_PL011_DR            0x00
#define RMEB_PL011_FR            0x18
#define RMEB_PL011_FR_TXFF       (1u << 5)

/* rme-bench port registers (64-bit writes). */
#define RMEB_PORT_DONE           0x00  /* value: 0 ok, else guest error */
#define RMEB_PORT_PHASE          0x08  /* value: (vcpu << 32) | phase */

#ifndef __ASSEMBLER__
enum rmeb_phase {
	RMEB_PHASE_BOOTED = 1,    /* vCPU has its MMU on */
	RMEB_PHASE_PATTERN = 2,   /* about to run the pattern */
	RMEB_PHASE_FINISHED = 3,  /* pattern done, results written */
};

#define RMEB_PARAMS_MAGIC        0x31524150424d4552ULL /* "REMBPAR1" LE */
#define RMEB_PARAMS_VERSION      2 /* 2: map_page */
#define RMEB_RESULTS_MAGIC       0x3153455242454d52ULL
#define RMEB_PATTERN_NAME_LEN    32

/* Written by the VMM at RMEB_GUEST_PARAMS_IPA before the first vCPU runs.
 * No magic there (e.g. QEMU `-kernel`): the guest runs its built-in
 * self-test defaults and reports on the console only. */
struct rmeb_guest_params {
	uint64_t magic;
	uint32_t version;
	uint32_t vcpus;
	uint64_t size;             /* bytes per vCPU */
	uint64_t page;             /* host backing page: 4K or 2M */
	uint64_t seed;
	uint64_t data_ipa;         /* RMEB_GUEST_DATA_IPA */
	uint64_t data_size;
	uint64_t results_ipa;      /* result slot (protected IPA) */
	uint64_t results_size;
	uint64_t samples_per_vcpu; /* capacity of each vCPU's sample array */
	uint32_t overlap;          /* 1: every vCPU uses [0, size) */
	uint32_t flags;            /* RMEB_PARAM_F_* */
	char pattern[RMEB_PATTERN_NAME_LEN];
	uint64_t map_page;         /* what the host maps per fault (0: page) */
	uint64_t reserved[16];
};
_Static_assert(sizeof(struct rmeb_guest_params) == 256, "params layout");

#define RMEB_PARAM_F_PORT        (1u << 0) /* the rme-bench port exists */

enum rmeb_sample_kind {
	RMEB_SAMPLE_ACCESS = 0,   /* a first touch (expected stage-2 fault) */
	RMEB_SAMPLE_SHARED = 1,   /* a first touch through the unprotected alias */
	RMEB_SAMPLE_RIPAS = 2,    /* one RSI_IPA_STATE_SET call */
};

/* One timed guest event. ticks: CNTVCT_EL0 delta around the access
 * (isb-bracketed), so it includes the whole stage-2 fault as the guest
 * sees it. */
struct rmeb_guest_sample {
	uint64_t ipa;             /* protected IPA (alias bit cleared) */
	uint32_t ticks;           /* saturated at UINT32_MAX */
	uint16_t vcpu;
	uint8_t kind;             /* enum rmeb_sample_kind */
	uint8_t write;            /* 1: store, 0: load */
};
_Static_assert(sizeof(struct rmeb_guest_sample) == 16, "sample layout");

/* Per-vCPU result, at results_ipa + vcpu * sizeof. */
struct rmeb_guest_vcpu_result {
	uint64_t magic;           /* RMEB_RESULTS_MAGIC once written */
	uint32_t status;          /* 0 ok, else an error (see message) */
	uint32_t realm;           /* 1: RSI answered */
	uint64_t cntfrq;          /* CNTFRQ_EL0 */
	uint64_t start_ticks;     /* CNTVCT_EL0 at pattern start / end */
	uint64_t end_ticks;
	uint64_t n_samples;       /* stored */
	uint64_t dropped;         /* did not fit samples_per_vcpu */
	uint64_t accesses;
	uint64_t first_touches;
	uint64_t set_ripas;       /* RSI_IPA_STATE_SET calls, re-issues included */
	uint64_t ripas_reissues;
	uint64_t ipa_width;       /* realm: from RSI_REALM_CONFIG; else 0 */
	uint64_t checksum;        /* sum of values read back (keeps loads live) */
	char message[152];
};
_Static_assert(sizeof(struct rmeb_guest_vcpu_result) == 256, "result layout");

/* Samples of vCPU v start at results_ipa + RMEB_RESULTS_HEADER_SIZE
 * + v * samples_per_vcpu * sizeof(struct rmeb_guest_sample). */
#define RMEB_RESULTS_HEADER_SIZE \
	(RMEB_GUEST_MAX_VCPUS * sizeof(struct rmeb_guest_vcpu_result))

#endif /* __ASSEMBLER__ */
#endif
