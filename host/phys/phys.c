/*
 * Modeled DRAM: sparse page backing plus a simple page allocator.
 *
 * Backing is a two-level table indexed by page frame number (PFN relative
 * to the DRAM base): a fixed array of chunk pointers, each chunk holding
 * the host pointers of PHYS_CHUNK_PAGES pages. Chunks and pages are
 * installed with compare-and-swap, so lookups never take a lock and two
 * threads touching the same page for the first time agree on one buffer.
 *
 * The allocator is a bump pointer from the top of DRAM downwards plus a
 * free list of exact-size blocks; it serves the host "kernel" (RTT pages,
 * RDs, RECs, memslot ranges), which allocates rarely compared with faults,
 * so one mutex is enough.
 */
#include "phys/phys.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PHYS_CHUNK_SHIFT 18 /* 2^18 pages = 1 GiB per chunk */
#define PHYS_CHUNK_PAGES (1ULL << PHYS_CHUNK_SHIFT)

/* A page's slot: the host address of its bytes, and whether the phys
 * module owns that buffer (on-demand) or only aliases registered memory. */
#define SLOT_ALIAS 1UL

struct free_block {
	struct free_block *next;
	uint64_t pa;
	uint64_t npages;
};

/* A PA range served by a smaller host window, page i of the range at
 * va + (i * 4 KiB) % window (phys_register_window). */
struct phys_window {
	uint64_t pa, len, window;
	char *va;
};
#define PHYS_MAX_WINDOWS 4

struct phys_mem {
	struct phys_window windows[PHYS_MAX_WINDOWS];
	unsigned n_windows;   /* changed only while no other thread uses pm */
	uint64_t base;
	uint64_t size;
	uint64_t nchunks;
	_Atomic(uintptr_t *) *chunks; /* nchunks entries */
	atomic_uint_fast64_t backed_bytes;

	/* phys_reserve's pool: [reserve_base, + reserve_pages pages), the
	 * next unused one at reserve_next (may run past the end). */
	char *reserve_base;
	uint64_t reserve_pages;
	atomic_uint_fast64_t reserve_next;

	pthread_mutex_t alloc_lock;
	uint64_t alloc_top; /* next allocation ends here (grows down) */
	struct free_block *free_list;
};

struct phys_mem *phys_create(uint64_t base, uint64_t size)
{
	if (size == 0 || (base | size) % PHYS_PAGE_SIZE || base + size < base)
		return NULL;

	struct phys_mem *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->base = base;
	pm->size = size;
	pm->nchunks = ((size / PHYS_PAGE_SIZE) + PHYS_CHUNK_PAGES - 1) >> PHYS_CHUNK_SHIFT;
	pm->chunks = calloc(pm->nchunks, sizeof(*pm->chunks));
	if (!pm->chunks) {
		free(pm);
		return NULL;
	}
	pthread_mutex_init(&pm->alloc_lock, NULL);
	pm->alloc_top = base + size;
	return pm;
}

static bool in_reserve(const struct phys_mem *pm, const void *page)
{
	const char *p = page;
	return pm->reserve_base && p >= pm->reserve_base &&
	       p < pm->reserve_base + pm->reserve_pages * PHYS_PAGE_SIZE;
}

/* A zeroed page buffer: from the pool while it lasts, else the heap. */
static void *take_page(struct phys_mem *pm)
{
	if (pm->reserve_base) {
		uint64_t i = atomic_fetch_add_explicit(&pm->reserve_next, 1,
						       memory_order_relaxed);
		if (i < pm->reserve_pages)
			return pm->reserve_base + i * PHYS_PAGE_SIZE;
	}
	void *page = aligned_alloc(PHYS_PAGE_SIZE, PHYS_PAGE_SIZE);
	if (page)
		memset(page, 0, PHYS_PAGE_SIZE);
	return page;
}

/* Pool pages go back with the pool (a lost first-touch race wastes one). */
static void release_page(struct phys_mem *pm, void *page)
{
	if (!in_reserve(pm, page))
		free(page);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
void phys_make_resident(void *va, size_t len)
{
	/* One call instead of a trap per page (kernels before 5.14 lack it and
	 * the loop does it all); the writes reach a hypervisor below. */
	(void)madvise(va, len, MADV_POPULATE_WRITE);
	volatile uint8_t *p = va;
	for (size_t off = 0; off < len; off += PHYS_PAGE_SIZE)
		p[off] = 0;
}

int phys_reserve(struct phys_mem *pm, uint64_t npages)
{
	if (!pm || pm->reserve_base || npages == 0 || npages > pm->size / PHYS_PAGE_SIZE)
		return -1;
	size_t len = (size_t)(npages * PHYS_PAGE_SIZE);
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	phys_make_resident(base, len);
	pm->reserve_base = base;
	pm->reserve_pages = npages;
	return 0;
}

uint64_t phys_reserve_left(const struct phys_mem *pm)
{
	uint64_t next = atomic_load_explicit(&pm->reserve_next, memory_order_relaxed);
	return next < pm->reserve_pages ? pm->reserve_pages - next : 0;
}

void phys_destroy(struct phys_mem *pm)
{
	if (!pm)
		return;
	for (uint64_t c = 0; c < pm->nchunks; c++) {
		uintptr_t *chunk = atomic_load(&pm->chunks[c]);
		if (!chunk)
			continue;
		for (uint64_t i = 0; i < PHYS_CHUNK_PAGES; i++)
			if (chunk[i] && !(chunk[i] & SLOT_ALIAS))
				release_page(pm, (void *)chunk[i]);
		free(chunk);
	}
	free(pm->chunks);
	if (pm->reserve_base)
		munmap(pm->reserve_base, (size_t)(pm->reserve_pages * PHYS_PAGE_SIZE));
	while (pm->free_list) {
		struct free_block *b = pm->free_list;
		pm->free_list = b->next;
		free(b);
	}
	pthread_mutex_destroy(&pm->alloc_lock);
	free(pm);
}

uint64_t phys_base(const struct phys_mem *pm) { return pm->base; }
uint64_t phys_size(const struct phys_mem *pm) { return pm->size; }

bool phys_contains(const struct phys_mem *pm, uint64_t pa, uint64_t len)
{
	return pa >= pm->base && len <= pm->size && pa - pm->base <= pm->size - len;
}

/* Slot of a page, creating its chunk if `create`. NULL if absent. */
static _Atomic uintptr_t *page_slot(struct phys_mem *pm, uint64_t pa, bool create)
{
	if (!phys_contains(pm, pa, 1))
		return NULL;
	uint64_t pfn = (pa - pm->base) / PHYS_PAGE_SIZE;
	_Atomic(uintptr_t *) *cp = &pm->chunks[pfn >> PHYS_CHUNK_SHIFT];
	uintptr_t *chunk = atomic_load_explicit(cp, memory_order_acquire);

	if (!chunk) {
		if (!create)
			return NULL;
		uintptr_t *fresh = calloc(PHYS_CHUNK_PAGES, sizeof(uintptr_t));
		if (!fresh)
			return NULL;
		uintptr_t *expected = NULL;
		if (atomic_compare_exchange_strong_explicit(cp, &expected, fresh,
							    memory_order_acq_rel,
							    memory_order_acquire)) {
			chunk = fresh;
		} else {
			free(fresh);
			chunk = expected;
		}
	}
	return (_Atomic uintptr_t *)&chunk[pfn & (PHYS_CHUNK_PAGES - 1)];
}

/* The host address of pa if a window serves it, else NULL. */
static void *window_va(const struct phys_mem *pm, uint64_t pa)
{
	for (unsigned i = 0; i < pm->n_windows; i++) {
		const struct phys_window *w = &pm->windows[i];
		if (pa - w->pa < w->len)
			return w->va + (pa - w->pa) % w->window;
	}
	return NULL;
}

int phys_register_window(struct phys_mem *pm, uint64_t pa, uint64_t len, void *va,
			 uint64_t window)
{
	if ((pa | len | window | (uintptr_t)va) % PHYS_PAGE_SIZE || !len || !window ||
	    !phys_contains(pm, pa, len) || pm->n_windows == PHYS_MAX_WINDOWS)
		return -1;
	for (uint64_t off = 0; off < len; off += PHYS_CHUNK_PAGES * PHYS_PAGE_SIZE)
		if (phys_va_if_backed(pm, pa + off))
			return -1;
	pm->windows[pm->n_windows++] = (struct phys_window){ pa, len, window, va };
	return 0;
}

void phys_unregister_window(struct phys_mem *pm, uint64_t pa)
{
	for (unsigned i = 0; i < pm->n_windows; i++)
		if (pm->windows[i].pa == pa) {
			pm->windows[i] = pm->windows[--pm->n_windows];
			return;
		}
}

static void *slot_addr(uintptr_t slot, uint64_t pa)
{
	return (char *)(slot & ~SLOT_ALIAS) + (pa & (PHYS_PAGE_SIZE - 1));
}

void *phys_va_if_backed(struct phys_mem *pm, uint64_t pa)
{
	void *w = window_va(pm, pa);
	if (w)
		return w;
	_Atomic uintptr_t *slot = page_slot(pm, pa, false);
	if (!slot)
		return NULL;
	uintptr_t v = atomic_load_explicit(slot, memory_order_acquire);
	return v ? slot_addr(v, pa) : NULL;
}

void *phys_va(struct phys_mem *pm, uint64_t pa)
{
	void *w = window_va(pm, pa);
	if (w)
		return w;
	_Atomic uintptr_t *slot = page_slot(pm, pa, true);
	if (!slot)
		return NULL;
	uintptr_t v = atomic_load_explicit(slot, memory_order_acquire);
	if (v)
		return slot_addr(v, pa);

	void *page = take_page(pm);
	if (!page)
		return NULL;
	uintptr_t expected = 0;
	if (atomic_compare_exchange_strong_explicit(slot, &expected, (uintptr_t)page,
						    memory_order_acq_rel,
						    memory_order_acquire)) {
		atomic_fetch_add_explicit(&pm->backed_bytes, PHYS_PAGE_SIZE,
					  memory_order_relaxed);
		return slot_addr((uintptr_t)page, pa);
	}
	release_page(pm, page);
	return slot_addr(expected, pa);
}

int phys_register_backing(struct phys_mem *pm, uint64_t pa, void *va, uint64_t len)
{
	if ((pa | len | (uintptr_t)va) % PHYS_PAGE_SIZE || len == 0 ||
	    !phys_contains(pm, pa, len))
		return -1;
	for (uint64_t off = 0; off < len; off += PHYS_PAGE_SIZE) {
		_Atomic uintptr_t *slot = page_slot(pm, pa + off, true);
		uintptr_t expected = 0;
		uintptr_t alias = ((uintptr_t)va + off) | SLOT_ALIAS;
		if (!slot || !atomic_compare_exchange_strong(slot, &expected, alias)) {
			phys_unregister_backing(pm, pa, off);
			return -1;
		}
	}
	return 0;
}

void phys_unregister_backing(struct phys_mem *pm, uint64_t pa, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PHYS_PAGE_SIZE) {
		_Atomic uintptr_t *slot = page_slot(pm, pa + off, false);
		if (!slot)
			continue;
		uintptr_t v = atomic_load(slot);
		if (v & SLOT_ALIAS)
			atomic_store(slot, 0);
	}
}

/* First free block of exactly npages with the alignment; unlinks it. */
static uint64_t take_free_block(struct phys_mem *pm, uint64_t npages, uint64_t align)
{
	for (struct free_block **pp = &pm->free_list; *pp; pp = &(*pp)->next) {
		struct free_block *b = *pp;
		if (b->npages == npages && b->pa % align == 0) {
			uint64_t pa = b->pa;
			*pp = b->next;
			free(b);
			return pa;
		}
	}
	return PHYS_NONE;
}

uint64_t phys_alloc(struct phys_mem *pm, uint64_t npages, uint64_t align)
{
	if (npages == 0 || align < PHYS_PAGE_SIZE || (align & (align - 1)))
		return PHYS_NONE;
	uint64_t bytes = npages * PHYS_PAGE_SIZE;
	if (bytes / PHYS_PAGE_SIZE != npages || bytes > pm->size)
		return PHYS_NONE;

	pthread_mutex_lock(&pm->alloc_lock);
	uint64_t pa = take_free_block(pm, npages, align);
	if (pa == PHYS_NONE && pm->alloc_top - pm->base >= bytes) {
		uint64_t cand = (pm->alloc_top - bytes) & ~(align - 1);
		if (cand >= pm->base) {
			pa = cand;
			pm->alloc_top = cand;
		}
	}
	pthread_mutex_unlock(&pm->alloc_lock);
	return pa;
}

void phys_free(struct phys_mem *pm, uint64_t pa, uint64_t npages)
{
	if (pa == PHYS_NONE || npages == 0 ||
	    !phys_contains(pm, pa, npages * PHYS_PAGE_SIZE))
		return;
	/* Freed pages read as zero when reused, like a fresh allocation. */
	for (uint64_t i = 0; i < npages; i++) {
		void *p = phys_va_if_backed(pm, pa + i * PHYS_PAGE_SIZE);
		if (p)
			memset(p, 0, PHYS_PAGE_SIZE);
	}
	struct free_block *b = malloc(sizeof(*b));
	if (!b)
		return; /* leak the range rather than corrupt the allocator */
	b->pa = pa;
	b->npages = npages;
	pthread_mutex_lock(&pm->alloc_lock);
	b->next = pm->free_list;
	pm->free_list = b;
	pthread_mutex_unlock(&pm->alloc_lock);
}

uint64_t phys_backed_bytes(const struct phys_mem *pm)
{
	return atomic_load_explicit(&((struct phys_mem *)pm)->backed_bytes,
				    memory_order_relaxed);
}
