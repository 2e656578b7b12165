/*
 * util.c - allocation that never fails, a growable byte buffer, and the
 * UTF-8 helpers every stage shares (counting for limits and widths,
 * cutting on a character boundary, validating).
 *
 * Out of memory is not a condition any caller can do something useful
 * about in a batch tool, so the xmalloc family reports it once and exits
 * with EX_SOFTWARE (70).  Zero-byte requests are rounded up to one byte so
 * that a NULL return always means failure.
 */
#define _DEFAULT_SOURCE

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTIL_EX_SOFTWARE 70

static void oom(void)
{
	fputs("ddmreport: error: out of memory\n", stderr);
	exit(UTIL_EX_SOFTWARE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t count, size_t n)
{
	void *p;

	if (count == 0 || n == 0)
		return xmalloc(1);
	p = calloc(count, n);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p;

	if (n == (size_t)-1)
		oom();
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;
	char small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(); /* only an encoding error or EOVERFLOW; treat as fatal */
	if ((size_t)n < sizeof small)
		return xstrdup(small);
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Makes room for n more bytes plus the terminating NUL. */
static void buf_grow(buf *b, size_t n)
{
	size_t need, cap;

	if (n > (size_t)-1 - b->len - 1)
		oom();
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_putc(buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

const char *buf_cstr(buf *b)
{
	buf_grow(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

void buf_reset(buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

bool str_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

bool str_ieq(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

char *str_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static bool utf8_is_tail(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

size_t utf8_chars(const char *s, size_t len, size_t stop)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < stop; i++)
		n += !utf8_is_tail(s[i]);
	return n;
}

size_t utf8_prefix(const char *s, size_t len, size_t chars)
{
	size_t n = 0, i = 0;

	for (; i < len; i++) {
		if (!utf8_is_tail(s[i])) {
			if (n == chars)
				break;
			n++;
		}
	}
	return i;
}

size_t utf8_floor(const char *s, size_t at)
{
	size_t n = at;

	while (n > 0 && at - n < 3 && utf8_is_tail(s[n]))
		n--;
	return n;
}

size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp,
		   size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* no overlongs */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* no overlongs */
		else if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else {
		*bad = 1; /* continuation byte, C0, C1 or F5..FF */
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		v = v << 6 | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* s[0..n) of UTF-16 into out (room for 2 * n + 4 bytes); returns the
 * bytes written.  An unpaired surrogate becomes U+FFFD, visible. */
size_t utf16_to_utf8(utf16 *u, const unsigned char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned unit;

		if (u->odd < 0) {
			u->odd = s[i];
			continue;
		}
		unit = u->order == 1 ? (unsigned)u->odd | (unsigned)s[i] << 8
				     : (unsigned)u->odd << 8 | s[i];
		u->odd = -1;
		if (u->hi) {
			if (unit >= 0xDC00 && unit <= 0xDFFF) {
				o += utf8_put(out + o,
					      0x10000 +
						      ((u->hi - 0xD800) << 10) +
						      (unit - 0xDC00));
				u->hi = 0;
				continue;
			}
			o += utf8_put(out + o, 0xFFFD);
			u->hi = 0;
		}
		if (unit >= 0xD800 && unit <= 0xDBFF)
			u->hi = unit;
		else if (unit >= 0xDC00 && unit <= 0xDFFF)
			o += utf8_put(out + o, 0xFFFD);
		else
			o += utf8_put(out + o, unit);
	}
	return o;
}

int utf16_bom(const void *p, size_t n)
{
	const unsigned char *s = p;

	if (n < 2)
		return 0;
	if (s[0] == 0xFF && s[1] == 0xFE)
		return 1;
	if (s[0] == 0xFE && s[1] == 0xFF)
		return 2;
	return 0;
}

uint32_t case_fold(uint32_t cp)
{
	/* runs of pairs: the capital at an even (or odd) offset, its small
	 * letter one after it */
	static const struct {
		uint16_t lo, hi, odd;
	} pairs[] = {
		{0x0100, 0x012F, 0}, {0x0132, 0x0137, 0}, {0x0139, 0x0148, 1},
		{0x014A, 0x0177, 0}, {0x0179, 0x017E, 1}, {0x01CD, 0x01DC, 1},
		{0x01DE, 0x01EF, 0}, {0x01F8, 0x021F, 0}, {0x0222, 0x0233, 0},
		{0x0246, 0x024F, 0}, {0x0460, 0x0481, 0}, {0x048A, 0x04BF, 0},
		{0x04C1, 0x04CE, 1}, {0x04D0, 0x04FF, 0},
	};

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 32;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (cp >= pairs[i].lo && cp <= pairs[i].hi)
			return (cp & 1) == pairs[i].odd ? cp + 1 : cp;
	switch (cp) {
	case 0xB5: /* micro sign */
		return 0x3BC;
	case 0x178: /* Y with diaeresis */
		return 0xFF;
	case 0x17F: /* long s */
		return 's';
	case 0x1C4: /* the DZ, LJ and NJ digraphs and their title case */
	case 0x1C5:
		return 0x1C6;
	case 0x1C7:
	case 0x1C8:
		return 0x1C9;
	case 0x1CA:
	case 0x1CB:
		return 0x1CC;
	case 0x1F1:
	case 0x1F2:
		return 0x1F3;
	case 0x386:
		return 0x3AC;
	case 0x38C:
		return 0x3CC;
	case 0x3C2: /* final sigma */
		return 0x3C3;
	case 0x4C0:
		return 0x4CF;
	case 0x1E9E: /* capital sharp s */
		return 0xDF;
	default:
		break;
	}
	if (cp >= 0x388 && cp <= 0x38A)
		return cp + 37;
	if (cp >= 0x38E && cp <= 0x38F)
		return cp + 63;
	if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB))
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 32;
	if (cp >= 0x531 && cp <= 0x556)
		return cp + 48;
	if (cp >= 0xFF21 && cp <= 0xFF3A)
		return cp + 32;
	return cp;
}

/* The next unit of s[*i..n) for utf8_casecmp: a folded code point, or a
 * byte that is not well-formed UTF-8 as 0x110000 + the byte. */
static uint32_t fold_next(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s + *i;
	uint32_t cp;
	size_t bad, len;

	if (*u < 0x80) {
		(*i)++;
		return *u >= 'A' && *u <= 'Z' ? *u + 32u : *u;
	}
	len = utf8_decode(u, n - *i, &cp, &bad);
	if (!len) {
		(*i)++;
		return 0x110000u + *u;
	}
	*i += len;
	return case_fold(cp);
}

int utf8_casecmp(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		uint32_t x = fold_next(a, na, &i);
		uint32_t y = fold_next(b, nb, &j);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return (i < na) - (j < nb);
}
