/*
 * Entry points and exception vectors of the bare-metal payload.
 *
 * The image starts with an arm64 Linux Image header so that a VMM (ours
 * or QEMU's `-kernel`) loads it at RAM + text_offset and enters at the
 * first instruction with the MMU off. Entered at EL2 (QEMU with
 * virtualization=on), it drops to EL1 first: the payload is an EL1 guest.
 *
 *   primary_entry:   x0 = DTB address (ignored); vCPU 0. C gets 1 if it
 *                    was entered at EL2, else 0.
 *   rmeb_secondary_entry: PSCI CPU_ON entry, x0 = context id = vCPU index.
 * Each vCPU gets its own stack from rmeb_stacks; then C takes over.
 *
 * Vectors save every general register into a frame on the current stack
 * and call rmeb_exception(frame, vector); the handler may edit the frame
 * (the RSI probe does) and the vector returns with eret.
 */
#include <rmeb_guest/boot_abi.h>

#define FRAME_SIZE (34 * 8)  /* x0..x30, elr, spsr, esr */

	.section .text.head, "ax"
	.global _text
_text:
	b	primary_entry                /* code0 */
	.word	0                            /* code1 */
	.quad	RMEB_GUEST_IMAGE_OFFSET      /* text_offset */
	.quad	_image_size                  /* image_size, bss included */
	.quad	0x2                          /* flags: little endian, 4K pages */
	.quad	0, 0, 0                      /* res2..res4 */
	.ascii	"ARM\x64"                    /* magic */
	.word	0                            /* res5 */

primary_entry:
	mov	x19, #0
	b	common_entry

	.global rmeb_secondary_entry
rmeb_secondary_entry:
	mov	x19, x0

common_entry:
	msr	daifset, #0xf
	mov	x20, #0
	mrs	x9, CurrentEL
	cmp	x9, #(2 << 2)
	b.ne	at_el1
	/* EL2 (QEMU with virtualization=on: its PSCI is then reached by SMC).
	 * EL1 is AArch64, EL1 may use the physical and virtual
	 * counters, no virtual offset; then eret into EL1h, interrupts masked. */
	mov	x20, #1
	mov	x9, #(1 << 31)
	msr	hcr_el2, x9
	mov	x9, #3
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr
	mov	x9, #0x3c5
	msr	spsr_el2, x9
	adr	x9, at_el1
	msr	elr_el2, x9
	eret
at_el1:
	/* Stack: rmeb_stacks + (index + 1) * RMEB_GUEST_STACK_SIZE. */
	cmp	x19, #RMEB_GUEST_MAX_VCPUS
	b.hs	park
	ldr	x9, =rmeb_stacks
	add	x10, x19, #1
	mov	x11, #RMEB_GUEST_STACK_SIZE
	madd	x9, x10, x11, x9
	mov	sp, x9
	ldr	x9, =rmeb_vectors
	msr	vbar_el1, x9
	isb
	mov	x0, x19
	cbnz	x19, 1f
	/* vCPU 0 zeroes .bss (not the stacks: they live in .stacks). */
	ldr	x9, =__bss_start
	ldr	x10, =__bss_end
2:	cmp	x9, x10
	b.hs	3f
	stp	xzr, xzr, [x9], #16
	b	2b
3:	mov	x0, x20
	bl	rmeb_primary_main
	b	park
1:	bl	rmeb_secondary_main
park:
	wfi
	b	park

/* Exception vectors: 16 entries of 0x80 bytes, 2 KiB aligned. */
.macro vector num
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x1, #\num
	b	vector_common
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global rmeb_vectors
rmeb_vectors:
	vector 0
	vector 1
	vector 2
	vector 3
	vector 4
	vector 5
	vector 6
	vector 7
	vector 8
	vector 9
	vector 10
	vector 11
	vector 12
	vector 13
	vector 14
	vector 15

vector_common:
	/* x0 and x1 are saved; x1 holds the vector number. */
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x9, elr_el1
	stp	x30, x9, [sp, #240]
	mrs	x9, spsr_el1
	mrs	x10, esr_el1
	stp	x9, x10, [sp, #256]
	mov	x0, sp
	bl	rmeb_exception
	ldp	x30, x9, [sp, #240]
	msr	elr_el1, x9
	ldp	x9, x10, [sp, #256]
	msr	spsr_el1, x9
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * SMCCC calls: x0 = struct rmeb_smccc * (x0..x7 in, x0..x3 out).
 * rmeb_smc_insn is the address the exception handler recognises when an
 * SMC is UNDEFINED (no EL3, or a hypervisor that injects UNDEF): it then
 * returns SMCCC NOT_SUPPORTED (-1) in x0 as a conduit without RSI would.
 */
	.text
	.global rmeb_smc
rmeb_smc:
	str	x0, [sp, #-16]!
	mov	x8, x0
	ldp	x0, x1, [x8, #0]
	ldp	x2, x3, [x8, #16]
	ldp	x4, x5, [x8, #32]
	ldp	x6, x7, [x8, #48]
	.global rmeb_smc_insn
rmeb_smc_insn:
	smc	#0
	ldr	x8, [sp], #16
	stp	x0, x1, [x8, #0]
	stp	x2, x3, [x8, #16]
	ret

	.global rmeb_hvc
rmeb_hvc:
	str	x0, [sp, #-16]!
	mov	x8, x0
	ldp	x0, x1, [x8, #0]
	ldp	x2, x3, [x8, #16]
	ldp	x4, x5, [x8, #32]
	ldp	x6, x7, [x8, #48]
	hvc	#0
	ldr	x8, [sp], #16
	stp	x0, x1, [x8, #0]
	stp	x2, x3, [x8, #16]
	ret
