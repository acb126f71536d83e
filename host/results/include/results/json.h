/*
 * A small JSON writer and a small strict JSON reader (RFC 8259), enough
 * for results files. No third-party code.
 *
 * Writer contract: streams to a FILE; tracks nesting so commas and
 * indentation are automatic; strings are escaped (control characters,
 * quotes, backslashes; invalid UTF-8 becomes U+FFFD) so the output is
 * always valid JSON; NaN and infinities are written as null. Misuse (a
 * value without a key inside an object, unbalanced ends, nesting deeper
 * than JSON_MAX_DEPTH) and I/O errors set a sticky error that
 * json_writer_finish() reports. Numbers use the C locale's '.'; callers
 * must not change LC_NUMERIC.
 *
 * Reader contract: parses a whole document into a tree (json_value_free
 * releases it). Strict: no comments, trailing commas, leading zeros,
 * raw control characters in strings, invalid UTF-8, lone surrogates,
 * numbers that overflow a double, nesting deeper than JSON_MAX_DEPTH, or
 * anything after the document. Duplicate keys in an object are rejected
 * (in our files they can only mean corruption). On failure it returns
 * NULL and fills struct json_error with a message and 1-based
 * line/column; truncated input reports "unexpected end of input".
 */
#ifndef RESULTS_JSON_H
#define RESULTS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

/* ---- Writer ---- */

struct json_writer {
	FILE *out;
	int depth;
	bool pretty;
	bool error;
	bool have_key;               /* a key was written, its value is due */
	bool done;                   /* a complete top-level value was written */
	char container[JSON_MAX_DEPTH]; /* '{' or '[' per level */
	bool nonempty[JSON_MAX_DEPTH];
};

void json_writer_init(struct json_writer *w, FILE *out, bool pretty);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s); /* NULL -> null */
void json_string_n(struct json_writer *w, const char *s, size_t len);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_double(struct json_writer *w, double v); /* non-finite -> null */
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Key/value shorthands inside an object. */
void json_member_string(struct json_writer *w, const char *key, const char *s);
void json_member_u64(struct json_writer *w, const char *key, uint64_t v);
void json_member_double(struct json_writer *w, const char *key, double v);
void json_member_bool(struct json_writer *w, const char *key, bool v);

/* Re-emit a parsed value (numbers that are not exact u64 go as doubles). */
struct json_value;
void json_write_value(struct json_writer *w, const struct json_value *v);

/* 0 if exactly one complete value was written without error, else -1. */
int json_writer_finish(struct json_writer *w);

/* Length (1..4) of the valid UTF-8 sequence at S with AVAIL bytes left, or
 * 0 if invalid (overlong, a surrogate, past U+10FFFF, truncated): the one
 * check the writer (escaping) and the reader (raw string bytes) share. */
size_t json_utf8_sequence_length(const unsigned char *s, size_t avail);

/* ---- Reader ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json_value {
	enum json_type type;
	union {
		bool boolean;
		struct {
			double value;
			bool is_integer;  /* no fraction or exponent in the text */
			bool negative;
			bool fits_u64;    /* integer, >= 0, and <= UINT64_MAX */
			uint64_t u64;     /* exact when fits_u64 */
		} number;
		struct {
			char *chars; /* NUL-terminated; may contain NUL (\u0000) */
			size_t len;
		} string;
		struct {
			struct json_value *items;
			size_t count;
		} array;
		struct {
			struct json_member *members; /* in document order */
			size_t count;
		} object;
	};
};

struct json_member {
	char *key;
	size_t key_len;
	struct json_value value;
};

struct json_error {
	int line, column; /* 1-based; 0 when not about a position */
	size_t offset;
	char message[192];
};

struct json_value *json_parse(const char *text, size_t len, struct json_error *err);
struct json_value *json_parse_file(const char *path, struct json_error *err);
void json_value_free(struct json_value *v);

const char *json_type_name(enum json_type t);
/* Member of an object, NULL if V is not an object or has no such key. */
const struct json_value *json_get(const struct json_value *v, const char *key);
bool json_as_u64(const struct json_value *v, uint64_t *out);
bool json_as_double(const struct json_value *v, double *out);
/* The string, or NULL if V is not a string. */
const char *json_as_string(const struct json_value *v);

#endif
