/*
 * sha256.c - SHA-256 as specified in FIPS 180-4, streaming.
 *
 * Used by ingest and the about report to fingerprint inputs and queries.
 * Written from the standard for this project: a linked crypto library
 * would be a dependency for one hash.  Words are loaded big-endian byte by
 * byte, so the portable code does not depend on the host's byte order or
 * alignment.
 *
 * Every input byte is hashed while it is read, so the hash is on the
 * ingest's critical path (8.7% of a 1M-row ingest).  On x86-64 processors
 * with the SHA extensions (cpuid leaf 7, EBX bit 29: AMD Zen, Intel since
 * Ice Lake / Goldmont) the block function uses them, chosen once at run
 * time; the portable code is the reference the unit tests compare with.
 */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_X86 1
#endif

/* FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* Processes one 64-byte block (FIPS 180-4 section 6.2.2). */
static void block_portable(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
		       (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
	for (t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^
			      (w[t - 2] >> 10);

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}

	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
		     ((e & f) ^ (~e & g)) + K[t] + w[t];
		t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void blocks_portable(uint32_t h[8], const unsigned char *p, size_t n)
{
	for (; n; n--, p += 64)
		block_portable(h, p);
}

#ifdef SHA256_X86
/*
 * The same compression with the SHA extensions.  SHA256RNDS2 does two
 * rounds on the state held as two vectors, (A,B,E,F) and (C,D,G,H);
 * SHA256MSG1/MSG2 compute the message schedule four words at a time
 * (section 6.2.2 step 1: W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) +
 * W[t-16]).  The state is reordered into that layout on entry and back
 * on exit.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_shani(uint32_t h[8], const unsigned char *p, size_t n)
{
	/* Byte order within each 32-bit word: big-endian input. */
	const __m128i bswap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

	for (; n; n--, p += 64) {
		__m128i w[16];
		__m128i abef0 = abef, cdgh0 = cdgh;

		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(
				_mm_loadu_si128((const __m128i *)(p + 16 * i)),
				bswap);
		for (int i = 4; i < 16; i++) {
			__m128i t = _mm_sha256msg1_epu32(w[i - 4], w[i - 3]);

			t = _mm_add_epi32(
				t, _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
			w[i] = _mm_sha256msg2_epu32(t, w[i - 1]);
		}
		for (int i = 0; i < 16; i++) {
			__m128i m = _mm_add_epi32(
				w[i],
				_mm_loadu_si128((const __m128i *)&K[4 * i]));

			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
			abef = _mm_sha256rnds2_epu32(
				abef, cdgh, _mm_shuffle_epi32(m, 0x0E));
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	{
		__m128i feba = _mm_shuffle_epi32(abef, 0x1B);
		__m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);

		_mm_storeu_si128((__m128i *)&h[0],
				 _mm_blend_epi16(feba, dchg, 0xF0));
		_mm_storeu_si128((__m128i *)&h[4],
				 _mm_alignr_epi8(dchg, feba, 8));
	}
}

static bool has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
		return false;
	/* SSE4.1 and SSSE3 (leaf 1, ECX bits 19 and 9) for the shuffles. */
	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) &&
	       (c & (1u << 9));
}
#endif

bool sha256_portable_only;

/* The block function for this processor, chosen at the first use. */
static void blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
#ifdef SHA256_X86
	static int use_shani = -1;

	if (use_shani < 0)
		use_shani = has_shani();
	if (use_shani && !sha256_portable_only) {
		blocks_shani(h, p, n);
		return;
	}
#endif
	blocks_portable(h, p, n);
}

void sha256_init(sha256_ctx *c)
{
	/* Section 5.3.3: fractional parts of the square roots of the first
	 * eight primes. */
	c->state[0] = 0x6a09e667;
	c->state[1] = 0xbb67ae85;
	c->state[2] = 0x3c6ef372;
	c->state[3] = 0xa54ff53a;
	c->state[4] = 0x510e527f;
	c->state[5] = 0x9b05688c;
	c->state[6] = 0x1f83d9ab;
	c->state[7] = 0x5be0cd19;
	c->bytes = 0;
	c->used = 0;
}

void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;

	c->bytes += len;
	if (c->used) {
		take = 64 - c->used;
		if (take > len)
			take = len;
		memcpy(c->block + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used < 64)
			return;
		blocks(c->state, c->block, 1);
		c->used = 0;
	}
	if (len >= 64) {
		blocks(c->state, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len) {
		memcpy(c->block, p, len);
		c->used = len;
	}
}

void sha256_final_hex(sha256_ctx *c, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	uint64_t bits = c->bytes * 8;
	int i;

	/* Section 5.1.1: a 1 bit, zeros, then the length in bits as a
	 * 64-bit big-endian number, filling the last block. */
	c->block[c->used++] = 0x80;
	if (c->used > 56) {
		memset(c->block + c->used, 0, 64 - c->used);
		blocks(c->state, c->block, 1);
		c->used = 0;
	}
	memset(c->block + c->used, 0, 56 - c->used);
	for (i = 0; i < 8; i++)
		c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	blocks(c->state, c->block, 1);
	c->used = 0;

	for (i = 0; i < 32; i++) {
		unsigned char byte =
			(unsigned char)(c->state[i / 4] >> (24 - 8 * (i % 4)));

		hex[2 * i] = digits[byte >> 4];
		hex[2 * i + 1] = digits[byte & 15];
	}
	hex[64] = '\0';
}
