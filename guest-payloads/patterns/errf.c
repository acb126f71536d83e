/* A tiny message formatter: see pattern_internal.h (no libc, freestanding). */
#include <stdarg.h>

#include "pattern_internal.h"

struct out {
	char *buf;
	size_t len;
	size_t cap;  /* room for characters, excluding the NUL */
};

static void put_char(struct out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put_char(o, *s++);
}

static void put_uint(struct out *o, uint64_t v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(o, digits[--n]);
}

/* Sizes read best with the unit the user typed: 4K, 2M, 1G. */
static void put_size(struct out *o, uint64_t v)
{
	static const struct { uint64_t unit; char suffix; } units[] = {
		{ 1ULL << 30, 'G' }, { 1ULL << 20, 'M' }, { 1ULL << 10, 'K' },
	};

	for (size_t i = 0; v && i < sizeof(units) / sizeof(units[0]); i++) {
		if (v % units[i].unit == 0) {
			put_uint(o, v / units[i].unit);
			put_char(o, units[i].suffix);
			return;
		}
	}
	put_uint(o, v);
}

void payload_errf(char *err, size_t errlen, const char *fmt, ...)
{
	struct out o = { err, 0, errlen ? errlen - 1 : 0 };
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%' || !fmt[1]) {
			put_char(&o, *fmt);
			continue;
		}
		switch (*++fmt) {
		case 's': put_str(&o, va_arg(ap, const char *)); break;
		case 'u': put_uint(&o, va_arg(ap, uint64_t)); break;
		case 'S': put_size(&o, va_arg(ap, uint64_t)); break;
		default: put_char(&o, '%'); put_char(&o, *fmt); break;
		}
	}
	va_end(ap);
	err[o.len] = '\0';
}
