/*
 * Entry of the SMC driver, BL33 of TF-A: entered at NS-EL2 (or NS-EL1)
 * with the MMU off. Masks interrupts (a call must run to its end), takes
 * its stack, clears bss and runs driver_main(); never returns.
 */
	.section .text.head, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	ldr	x9, =stack_top
	mov	sp, x9
	ldr	x9, =__bss_start
	ldr	x10, =__bss_end
1:	cmp	x9, x10
	b.hs	2f
	str	xzr, [x9], #8
	b	1b
2:	bl	driver_main
3:	wfi
	b	3b

	.section .bss.stack, "aw", %nobits
	.balign	16
stack:	.space	16384
stack_top:
