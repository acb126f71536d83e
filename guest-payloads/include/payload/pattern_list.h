/*
 * Printing the pattern registry for `rme-bench list patterns` (host only).
 *
 * Contract: one line per pattern in registry order: name, summary, and a
 * note of what the pattern requires (2M backing, whole 2 MiB regions).
 */
#ifndef PAYLOAD_PATTERN_LIST_H
#define PAYLOAD_PATTERN_LIST_H

#include <stdio.h>

#include <payload/pattern.h>

void pattern_list_print(FILE *out);

#endif
