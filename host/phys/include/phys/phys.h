/*
 * Modeled physical memory of the simulated machine.
 *
 * Contract: owns one DRAM range [base, base + size) of physical addresses
 * (PAs) and answers "where does PA x live in this process?". Pages are
 * backed in one of two ways:
 *   - on demand: the first phys_va() of a page gives it a zeroed 4 KiB
 *     buffer (RTTs, RDs, RECs, rec_run pages, parameter pages);
 *   - by registration: phys_register_backing() makes a range of PAs alias
 *     real host memory (a VM's memslot mmap), so guest data pages are the
 *     host's real pages and pinning or zeroing them does real work.
 * Data granules that are neither registered nor touched cost nothing, so a
 * 64 GiB realm fits. It also provides the host kernel's page allocator
 * (phys_alloc), which hands out PA ranges of the DRAM.
 *
 * Thread safety: every function may be called from many threads at once.
 * Failure: phys_create returns NULL; phys_alloc returns PHYS_NONE when the
 * DRAM is exhausted; phys_va returns NULL for a PA outside the DRAM.
 * Knows nothing of the RMM or of KVM.
 */
#ifndef PHYS_PHYS_H
#define PHYS_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_PAGE_SIZE 4096ULL
#define PHYS_NONE      UINT64_MAX

/* Default DRAM of the simulated machine: room for a 64 GiB realm plus the
 * host's own pages. Only touched pages consume host memory. */
#define PHYS_DEFAULT_BASE 0x80000000ULL
#define PHYS_DEFAULT_SIZE (128ULL << 30)

struct phys_mem;

struct phys_mem *phys_create(uint64_t base, uint64_t size);
void phys_destroy(struct phys_mem *pm);

uint64_t phys_base(const struct phys_mem *pm);
uint64_t phys_size(const struct phys_mem *pm);
bool phys_contains(const struct phys_mem *pm, uint64_t pa, uint64_t len);

/* Host pointer to the page holding `pa` (offset applied), backing it with a
 * zeroed page on first use. NULL when pa is outside the DRAM. */
void *phys_va(struct phys_mem *pm, uint64_t pa);

/* Host pointer for pa only if already backed (never allocates). */
void *phys_va_if_backed(struct phys_mem *pm, uint64_t pa);

/* Make [pa, pa + len) alias host memory at va. Page aligned; the range must
 * not be backed yet. Returns 0 or -1. */
int phys_register_backing(struct phys_mem *pm, uint64_t pa, void *va, uint64_t len);
void phys_unregister_backing(struct phys_mem *pm, uint64_t pa, uint64_t len);

/* Make [pa, pa + len) alias a host window of `window` bytes at va, page i
 * of the range at va + (i * 4 KiB) % window: guest RAM larger than the host
 * (docs/sim-backend.md, "Realms larger than the host"). Contents alias:
 * only for memory whose accesses matter, never its contents. No per-page
 * state: lookups compare against at most PHYS_MAX_WINDOWS (4) ranges.
 * Page aligned; the range must not be backed. Call while no other thread
 * uses pm (set-up and teardown). Returns 0 or -1. */
int phys_register_window(struct phys_mem *pm, uint64_t pa, uint64_t len, void *va,
			 uint64_t window);
void phys_unregister_window(struct phys_mem *pm, uint64_t pa);

/* The host kernel's page allocator: `npages` contiguous pages aligned to
 * `align` bytes (a power of two, at least one page). PHYS_NONE when full. */
uint64_t phys_alloc(struct phys_mem *pm, uint64_t npages, uint64_t align);
void phys_free(struct phys_mem *pm, uint64_t pa, uint64_t npages);

/*
 * Resident pool for on-demand backing: NPAGES page buffers, faulted in and
 * written now, handed out by later first phys_va()s before any new
 * allocation. Why: an RTT, RD or REC page is resident memory to a real
 * RMM, but a model page first written inside a timed RMI command would
 * charge that command a host page fault (and, on a host that is itself a
 * VM, a hypervisor fault): measured here, rtt_create's p50 in a seq 4K
 * realm fault was 24 us instead of under 1 us. Pages past the pool are
 * allocated as before. Once per phys_mem; 0, or -1 (bad call, or no
 * memory: the pool is then empty and backing works as without it).
 */
int phys_reserve(struct phys_mem *pm, uint64_t npages);
/* (The one call that is not thread safe: make it before the phys_mem is
 * shared.) */

/* Pool pages not handed out yet. */
uint64_t phys_reserve_left(const struct phys_mem *pm);

/* Make host memory [va, va + len) resident, as a preallocating VMM does:
 * populate it in one call (MADV_POPULATE_WRITE, where the kernel has it),
 * then write one byte of every 4 KiB page, because on a host that is itself
 * a VM the first user write to a populated page still costs a hypervisor
 * fault the kernel never sees. Page aligned; the bytes written are 0. */
void phys_make_resident(void *va, size_t len);

/* Bytes of host memory used for on-demand backing (for reports). */
uint64_t phys_backed_bytes(const struct phys_mem *pm);

#endif
