/*
 * RSI (realm services interface) constants: what a realm guest calls.
 * Spec facts only. Used by the realm side of the simulator (host/rmm) and
 * by the aarch64 guest payloads.
 */
#ifndef ABI_RSI_H
#define ABI_RSI_H

#define RSI_FID(off) (0xC4000190ULL + (off))
#define RSI_VERSION       RSI_FID(0x00)
#define RSI_REALM_CONFIG  RSI_FID(0x06)
#define RSI_IPA_STATE_SET RSI_FID(0x07)
#define RSI_IPA_STATE_GET RSI_FID(0x08)
#define RSI_HOST_CALL     RSI_FID(0x09)

#define RSI_SUCCESS       0
#define RSI_ERROR_INPUT   1
#define RSI_ERROR_STATE   2
#define RSI_INCOMPLETE    3

/* RsiRipas */
#define RSI_EMPTY 0
#define RSI_RAM   1
#define RSI_DESTROYED 2

/* RsiRipasChangeFlags */
#define RSI_CHANGE_DESTROYED 1ULL /* allow DESTROYED -> new value */
/* RsiResponse as returned in X2 of RSI_IPA_STATE_SET */
#define RSI_ACCEPT 0
#define RSI_REJECT 1

#endif
