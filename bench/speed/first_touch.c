/*
 * rmeb-first-touch BYTES: the host's own cost of giving a process BYTES of
 * fresh memory, one write per 4 KiB page of an anonymous mapping (THP off,
 * as the sim's 4 KiB guest RAM). The yardstick of bench/speed/speed.sh:
 * a sim run that gives a realm the same memory cannot cost less than this,
 * and should not cost much more. Prints the touch time in ns on stdout.
 * Exit 2 on bad input, 1 if the memory cannot be had.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long long bytes = argc == 2 ? strtoull(argv[1], &end, 0) : 0;

	if (argc != 2 || *end || !bytes || bytes % 4096) {
		fprintf(stderr, "usage: rmeb-first-touch BYTES (a non-zero multiple of 4096)\n");
		return 2;
	}
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "rmeb-first-touch: mmap %llu bytes: %s\n", bytes, strerror(errno));
		return 1;
	}
	madvise(p, bytes, MADV_NOHUGEPAGE);
	uint64_t t0 = now_ns();
	for (unsigned long long off = 0; off < bytes; off += 4096)
		((volatile uint8_t *)p)[off] = 1;
	printf("%llu\n", (unsigned long long)(now_ns() - t0));
	munmap(p, bytes);
	return 0;
}
