/*
 * test_sha256.c - unit tests for sha256.c against the FIPS 180-2/180-4
 * example vectors, fed whole and in awkward chunk sizes.
 */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "unit.h"

static const char *digest(const void *data, size_t len)
{
	static char hex[65];
	sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final_hex(&c, hex);
	return hex;
}

/* Feeds data in chunks of the given sizes, cycling through them. */
static const char *digest_chunked(const unsigned char *data, size_t len,
				  const size_t *sizes, size_t nsizes)
{
	static char hex[65];
	sha256_ctx c;
	size_t off = 0, k = 0, n;

	sha256_init(&c);
	while (off < len) {
		n = sizes[k++ % nsizes];
		if (n > len - off)
			n = len - off;
		sha256_update(&c, data + off, n);
		off += n;
	}
	sha256_final_hex(&c, hex);
	return hex;
}

#define ABC_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

int main(void)
{
	static const size_t odd[] = {1, 3, 63, 64, 65, 7, 127, 1000, 13};
	static const size_t one[] = {1};
	const size_t million = 1000000;
	const char *expect_million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a"
				     "497200e046d39ccc7112cd0";
	const char *expect_448 = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2"
				 "167f6ecedd419db06c1";
	unsigned char *a;
	size_t i, bad = 0;

	CHECK_STR_EQ(digest("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e464"
				    "9b934ca495991b7852b855");
	CHECK_STR_EQ(digest("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a"
				       "396177a9cb410ff61f20015ad");
	CHECK_STR_EQ(digest(ABC_448, strlen(ABC_448)), expect_448);
	CHECK_STR_EQ(digest_chunked((const unsigned char *)ABC_448,
				    strlen(ABC_448), one, 1),
		     expect_448);
	/* The 896-bit message of the FIPS SHA-512 examples; its SHA-256 value
	 * was checked with coreutils sha256sum.  Exercises two-block padding. */
	CHECK_STR_EQ(digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
			    "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
			    "mnopqrstnopqrstu",
			    112),
		     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037"
		     "afee9d1");

	a = malloc(million);
	if (!a) {
		CHECK_MSG(0, "cannot allocate test data");
		UNIT_END("sha256");
	}
	memset(a, 'a', million);
	CHECK_STR_EQ(digest(a, million), expect_million);
	CHECK_STR_EQ(
		digest_chunked(a, million, odd, sizeof(odd) / sizeof(odd[0])),
		expect_million);
	CHECK_STR_EQ(digest_chunked(a, million, one, 1), expect_million);

	/* Lengths around the padding boundary must agree between one-shot
	 * and byte-at-a-time hashing (55, 56, 63, 64 bytes are the edges). */
	for (i = 0; i <= 130; i++) {
		char whole[65];

		strcpy(whole, digest(a, i));
		if (strcmp(whole, digest_chunked(a, i, one, 1)) != 0)
			bad++;
	}
	CHECK_INT_EQ(bad, 0);
	CHECK_STR_EQ(digest(a, 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5"
				    "258e241c9f1e910f734318");
	CHECK_STR_EQ(digest(a, 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1b"
				    "de7090ef7970686ec6738a");
	CHECK_STR_EQ(digest(a, 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db4"
				    "3d0ba5997337df154668eb");
	/* The processor's SHA instructions (when it has them) and the
	 * portable code agree on every length and alignment. */
	bad = 0;
	for (i = 0; i < million; i++)
		a[i] = (unsigned char)((i * 2654435761u) >> 13);
	for (i = 0; i <= 4100; i += (i < 300 ? 1 : 97)) {
		char fast[65];

		sha256_portable_only = false;
		strcpy(fast, digest(a + (i % 7), i));
		sha256_portable_only = true;
		if (strcmp(fast, digest(a + (i % 7), i)) != 0)
			bad++;
	}
	CHECK_INT_EQ(bad, 0);
	memset(a, 'a', million);
	CHECK_STR_EQ(digest(a, million), expect_million);
	sha256_portable_only = false;
	free(a);
	UNIT_END("sha256");
}
