/*
 * host/vmm's one error helper: formats a one-line message into the
 * caller's buffer and returns -1, so a check reads `return errf(...)`.
 * Private to host/vmm (not under include/).
 */
#ifndef VMM_ERRF_H
#define VMM_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
