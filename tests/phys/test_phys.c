/* Modeled DRAM: backing, aliasing, allocator, concurrent first touch. */
#include "phys/phys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int failures;
#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                           \
			failures++;                                         \
		}                                                           \
	} while (0)

static void test_create_rejects_bad_ranges(void)
{
	CHECK(phys_create(0x80000000, 0) == NULL);
	CHECK(phys_create(0x80000001, 1 << 20) == NULL);
	CHECK(phys_create(UINT64_MAX & ~0xfffULL, 1 << 20) == NULL);
}

static void test_on_demand_backing(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, PHYS_DEFAULT_SIZE);
	CHECK(pm != NULL);
	uint64_t pa = PHYS_DEFAULT_BASE + (5ULL << 30) + 0x123;
	CHECK(phys_va_if_backed(pm, pa) == NULL);
	unsigned char *p = phys_va(pm, pa);
	CHECK(p != NULL && *p == 0);
	*p = 0xab;
	CHECK(phys_va(pm, pa) == p);
	CHECK(phys_va_if_backed(pm, pa) == p);
	CHECK(((unsigned char *)phys_va(pm, pa & ~0xfffULL))[0x123] == 0xab);
	CHECK(phys_backed_bytes(pm) == PHYS_PAGE_SIZE);
	CHECK(phys_va(pm, PHYS_DEFAULT_BASE - 1) == NULL);
	CHECK(phys_va(pm, PHYS_DEFAULT_BASE + PHYS_DEFAULT_SIZE) == NULL);
	phys_destroy(pm);
}

static void test_registered_alias(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, 1ULL << 30);
	size_t len = 16 * PHYS_PAGE_SIZE;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	uint64_t pa = PHYS_DEFAULT_BASE + (1ULL << 20);
	CHECK(phys_register_backing(pm, pa, mem, len) == 0);
	CHECK(phys_va(pm, pa + 3 * PHYS_PAGE_SIZE + 8) == mem + 3 * PHYS_PAGE_SIZE + 8);
	/* Overlapping registration is refused and leaves the first intact. */
	CHECK(phys_register_backing(pm, pa + PHYS_PAGE_SIZE, mem, PHYS_PAGE_SIZE) == -1);
	CHECK(phys_va_if_backed(pm, pa) == mem);
	CHECK(phys_register_backing(pm, pa + 1, mem, PHYS_PAGE_SIZE) == -1);
	phys_unregister_backing(pm, pa, len);
	CHECK(phys_va_if_backed(pm, pa) == NULL);
	CHECK(phys_backed_bytes(pm) == 0);
	munmap(mem, len);
	phys_destroy(pm);
}

static void test_allocator(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, 64ULL << 20);
	uint64_t a = phys_alloc(pm, 1, PHYS_PAGE_SIZE);
	uint64_t b = phys_alloc(pm, 512, 2ULL << 20);
	CHECK(a != PHYS_NONE && b != PHYS_NONE);
	CHECK(b % (2ULL << 20) == 0);
	CHECK(phys_contains(pm, a, PHYS_PAGE_SIZE) && phys_contains(pm, b, 2ULL << 20));
	CHECK(a >= b + (2ULL << 20) || a + PHYS_PAGE_SIZE <= b);
	*(int *)phys_va(pm, a) = 7;
	phys_free(pm, a, 1);
	uint64_t c = phys_alloc(pm, 1, PHYS_PAGE_SIZE);
	CHECK(c == a);
	CHECK(*(int *)phys_va(pm, c) == 0); /* reused pages read as zero */
	CHECK(phys_alloc(pm, 0, PHYS_PAGE_SIZE) == PHYS_NONE);
	CHECK(phys_alloc(pm, 1, 3 * PHYS_PAGE_SIZE) == PHYS_NONE);
	CHECK(phys_alloc(pm, 1ULL << 40, PHYS_PAGE_SIZE) == PHYS_NONE);
	/* Exhaustion: allocate until none is left, then it says so. */
	uint64_t n = 0;
	while (phys_alloc(pm, 1, PHYS_PAGE_SIZE) != PHYS_NONE)
		n++;
	CHECK(n > 0 && n < (64ULL << 20) / PHYS_PAGE_SIZE);
	phys_destroy(pm);
}

/* The pool serves first touches in order, then the heap takes over; pool
 * pages are zero, keep what is written, and are never passed to free()
 * (ASan would report it). */
static void test_reserve(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, 64ULL << 20);
	CHECK(phys_reserve(pm, 0) == -1);
	CHECK(phys_reserve(pm, (64ULL << 20) / PHYS_PAGE_SIZE + 1) == -1);
	CHECK(phys_reserve(pm, 3) == 0);
	CHECK(phys_reserve(pm, 3) == -1);
	CHECK(phys_reserve_left(pm) == 3);
	unsigned char *p[4];
	for (int i = 0; i < 4; i++) {
		uint64_t pa = PHYS_DEFAULT_BASE + (uint64_t)(i + 1) * (1ULL << 20);
		p[i] = phys_va(pm, pa);
		CHECK(p[i] != NULL && p[i][0] == 0 && p[i][PHYS_PAGE_SIZE - 1] == 0);
		memset(p[i], 0x5a + i, PHYS_PAGE_SIZE);
		CHECK(phys_reserve_left(pm) == (i < 3 ? 2 - (uint64_t)i : 0));
	}
	CHECK(p[1] == p[0] + PHYS_PAGE_SIZE && p[2] == p[1] + PHYS_PAGE_SIZE);
	CHECK(p[3] < p[0] || p[3] > p[2]); /* past the pool: the heap */
	for (int i = 0; i < 4; i++)
		CHECK(p[i][100] == 0x5a + i);
	uint64_t pa0 = PHYS_DEFAULT_BASE + (1ULL << 20);
	phys_free(pm, pa0, 1);
	CHECK(phys_va(pm, pa0) == p[0] && p[0][100] == 0); /* kept, zeroed */
	CHECK(phys_backed_bytes(pm) == 4 * PHYS_PAGE_SIZE);
	phys_destroy(pm);
}

#define THREADS 4
struct race_arg {
	struct phys_mem *pm;
	void *seen[64];
};

static void *race_first_touch(void *p)
{
	struct race_arg *ra = p;
	for (int i = 0; i < 64; i++)
		ra->seen[i] = phys_va(ra->pm, PHYS_DEFAULT_BASE + (uint64_t)i * (1ULL << 30 >> 4));
	return NULL;
}

static void test_concurrent_first_touch(void)
{
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, 8ULL << 30);
	CHECK(phys_reserve(pm, 40) == 0); /* the race spans pool and heap */
	pthread_t t[THREADS];
	struct race_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i].pm = pm;
		pthread_create(&t[i], NULL, race_first_touch, &args[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 1; i < THREADS; i++)
		CHECK(memcmp(args[0].seen, args[i].seen, sizeof(args[0].seen)) == 0);
	CHECK(phys_backed_bytes(pm) == 64 * PHYS_PAGE_SIZE);
	phys_destroy(pm);
}

/* A window: a 64 GiB PA range served by 2 MiB of host memory, page i
 * at (i * 4 KiB) mod 2 MiB; no per-page state, gone when unregistered. */
static void test_window(void)
{
	const uint64_t window = 2ULL << 20, len = 64ULL << 30;
	struct phys_mem *pm = phys_create(PHYS_DEFAULT_BASE, PHYS_DEFAULT_SIZE);
	uint8_t *va = mmap(NULL, window, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	uint64_t pa = PHYS_DEFAULT_BASE + (1ULL << 30);

	CHECK(pm && va != MAP_FAILED);
	CHECK(phys_register_window(pm, pa, len, va, 3ULL << 12 | 1) == -1); /* unaligned */
	CHECK(phys_register_window(pm, pa, PHYS_DEFAULT_SIZE, va, window) == -1); /* too big */
	CHECK(phys_register_window(pm, pa, len, va, window) == 0);
	CHECK(phys_va_if_backed(pm, pa) == va);
	CHECK(phys_va(pm, pa + 0x10) == va + 0x10);
	CHECK(phys_va(pm, pa + window + 0x2000) == va + 0x2000);
	CHECK(phys_va(pm, pa + len - 0x1000) == va + window - 0x1000);
	CHECK(phys_va_if_backed(pm, pa + len) == NULL); /* past the range */
	CHECK(phys_backed_bytes(pm) == 0);              /* nothing allocated */
	phys_unregister_window(pm, pa);
	CHECK(phys_va_if_backed(pm, pa + 0x10) == NULL);
	munmap(va, window);
	phys_destroy(pm);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "threads") == 0) {
		test_concurrent_first_touch();
	} else {
		test_create_rejects_bad_ranges();
		test_on_demand_backing();
		test_registered_alias();
		test_allocator();
		test_reserve();
		test_window();
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
