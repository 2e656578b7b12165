/*
 * sha256.h - SHA-256 (FIPS 180-4), streaming, written for this project.
 *
 * Used for provenance: every input file and every query is fingerprinted,
 * and a file whose digest is already stored is not ingested twice.
 */
#ifndef DDM_SHA256_H
#define DDM_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
	uint32_t state[8];
	uint64_t bytes;
	unsigned char block[64];
	size_t used;
} sha256_ctx;

/* Set before the first hash to use the portable code even where the
 * processor's SHA instructions are available (the unit tests compare the
 * two). */
extern bool sha256_portable_only;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Finishes and writes 64 lowercase hex digits plus NUL into hex. */
void sha256_final_hex(sha256_ctx *c, char hex[65]);

#endif
