/*
 * A64 instruction classes that cost beyond their count on hardware: TLB
 * invalidation (broadcast or local; by VA, by IPA, all, and the RME GPT
 * invalidations RPAOS, RPALOS, PAALLOS, PAALL), barriers (DSB, ISB),
 * cache maintenance (DC ZVA, DC by VA, by set/way, and the RME DC by PA:
 * CIPAPA, CIGDPAPA),
 * exception generation and return (SMC, HVC, SVC, ERET), MSR to the
 * translation and GPT control registers, WFI/WFE; and the rme-bench
 * marker HINTs.
 *
 * Contract: a64_classify() maps one 32-bit A64 instruction word to a set
 * of A64_OP_* bits (0: none of these) from the encodings of the Arm ARM
 * (DDI 0487, "System instructions", "Barriers", "Exception generation",
 * "Hints"). Pure, no state, no QEMU: the plugin calls it at translation
 * time and the decoder tests call it on known encodings.
 */
#ifndef RMEB_A64_CLASS_H
#define RMEB_A64_CLASS_H

#include <stdint.h>

#include <rmeb_guest/insn_markers.h>

/* The guest markers (unallocated HINTs, see rmeb_guest/insn_markers.h). */
#define A64_MARK_SPAN_BEGIN RMEB_MARK_SPAN_BEGIN
#define A64_MARK_SPAN_END   RMEB_MARK_SPAN_END
#define A64_MARK_RUN_BEGIN  RMEB_MARK_RUN_BEGIN
#define A64_HINT(imm) (0xd503201fu | ((uint32_t)(imm) << 5))

enum a64_op {
	A64_OP_TLBI_BCAST,  /* TLBI ...IS / ...OS: broadcast to the shareability domain */
	A64_OP_TLBI_LOCAL,  /* TLBI without IS/OS: this PE only */
	A64_OP_TLBI_VA,     /* by VA (VAE*, VALE*, VAAE*, VAALE*, RVA*) */
	A64_OP_TLBI_IPA,    /* by IPA (IPAS2*, RIPAS2*) */
	A64_OP_TLBI_ALL,    /* all / by ASID / by VMID (VMALL*, ALLE*, ASIDE1*) */
	A64_OP_TLBI_GPT,    /* RME: RPAOS, RPALOS, PAALLOS, PAALL */
	A64_OP_DSB,
	A64_OP_ISB,
	A64_OP_DC_ZVA,      /* DC ZVA, DC GVA, DC GZVA */
	A64_OP_DC_VA,       /* DC IVAC/CVAC/CVAU/CIVAC/CVAP/CVADP (and MTE tag variants) */
	A64_OP_DC_SW,       /* DC ISW/CSW/CISW (and tag variants) */
	A64_OP_DC_PA,       /* RME: DC CIPAPA, DC CIGDPAPA */
	A64_OP_SMC,
	A64_OP_HVC,
	A64_OP_SVC,
	A64_OP_ERET,        /* ERET, ERETAA, ERETAB */
	A64_OP_MSR_TRANS,   /* MSR to SCTLR/TTBR0/TTBR1/TCR/MAIR_ELx, HCR_EL2, VTTBR/VTCR/VSTTBR/VSTCR_EL2 */
	A64_OP_MSR_GPT,     /* MSR to GPTBR_EL3, GPCCR_EL3 */
	A64_OP_WFI,         /* WFI, WFIT */
	A64_OP_WFE,         /* WFE, WFET */
	A64_OP_COUNT
};

/* Column names, "tlbi_bcast" ... (the results prefix them with "op_"). */
extern const char *const a64_op_names[A64_OP_COUNT];

#define A64_BIT(op) (1u << (op))

/* Set of A64_BIT(op) for one instruction word; 0 for everything else. */
uint32_t a64_classify(uint32_t insn);

/* The HINT immediate (0..127) of a HINT instruction, -1 otherwise. */
int a64_hint_imm(uint32_t insn);

#endif
