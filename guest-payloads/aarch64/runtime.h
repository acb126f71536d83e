/*
 * The payload runtime's own interface (start.S calls the entry points;
 * everything here is freestanding C for the guest only).
 */
#ifndef RMEB_GUEST_RUNTIME_H
#define RMEB_GUEST_RUNTIME_H

#include <stdint.h>

void rmeb_primary_main(uint64_t from_el2);
void rmeb_secondary_main(uint64_t vcpu);
void rmeb_puts(const char *s);
void rmeb_put_u64(uint64_t v);
void rmeb_put_hex(uint64_t v);

#endif
