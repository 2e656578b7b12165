/*
 * b64.c - Base64 decoding.  Part of the ingest stage (NanoMDM webhook
 * events carry the device's plist, and the plist its report, as Base64).
 * Strict about the alphabet so a corrupted payload is rejected, lenient
 * about line breaks because plist <data> wraps its text.
 */
#include "b64.h"

static int val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool b64_decode(const char *s, size_t len, buf *out)
{
	unsigned acc = 0;
	int bits = 0, n = 0;
	bool pad = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad = true;
			continue;
		}
		v = val(c);
		if (v < 0 || pad)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		n++;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
	if (n % 4 == 1)
		return false;
	buf_cstr(out);
	return true;
}
