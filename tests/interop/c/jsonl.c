/* jsonl.c - flat JSON lines: string fields only (see jsonl.h) */
#include "jsonl.h"

#include <string.h>

static char *skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long read_u16(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit((unsigned char)p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static char *put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		*out++ = (char)cp;
	} else if (cp < 0x800) {
		*out++ = (char)(0xc0 | (cp >> 6));
		*out++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*out++ = (char)(0xe0 | (cp >> 12));
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*out++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*out++ = (char)(0xf0 | (cp >> 18));
		*out++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*out++ = (char)(0x80 | (cp & 0x3f));
	}
	return out;
}

/*
 * Unescape the string starting after its opening quote at *pp, in place
 * (the result is never longer than its escaped form).  On success *pp is
 * past the closing quote.
 */
static int read_string(char **pp, char **str, size_t *len, const char **why)
{
	char *in = *pp, *out = *pp;

	*str = out;
	for (;;) {
		unsigned char c = (unsigned char)*in;
		long cp, lo;

		if (c == '\0') {
			*why = "unterminated string";
			return -1;
		}
		if (c < 0x20) {
			*why = "control character in string";
			return -1;
		}
		if (c == '"')
			break;
		if (c != '\\') {
			*out++ = (char)c;
			in++;
			continue;
		}
		in++;
		switch (*in) {
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		case '/': *out++ = '/'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u':
			cp = read_u16(in + 1);
			if (cp < 0) {
				*why = "bad \\u escape";
				return -1;
			}
			in += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				/* A high surrogate needs its low half. */
				if (in[1] != '\\' || in[2] != 'u' ||
				    (lo = read_u16(in + 3)) < 0xdc00 ||
				    lo >= 0xe000) {
					*why = "lone surrogate";
					return -1;
				}
				in += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				*why = "lone surrogate";
				return -1;
			}
			if (cp == 0) {
				*why = "NUL in string";
				return -1;
			}
			out = put_utf8(out, (unsigned long)cp);
			break;
		default: *why = "bad escape"; return -1;
		}
		in++;
	}
	*len = (size_t)(out - *str);
	*out = '\0'; /* out <= in: the closing quote's place at the latest */
	*pp = in + 1;
	return 0;
}

int jsonl_parse(char *line, struct jsonl_record *rec, const char **why)
{
	char *p = skip_ws(line);

	rec->nfields = 0;
	if (*p++ != '{') {
		*why = "not an object";
		return -1;
	}
	p = skip_ws(p);
	if (*p == '}')
		goto end;
	for (;;) {
		struct jsonl_field *f;

		if (rec->nfields == JSONL_MAX_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		f = &rec->fields[rec->nfields++];
		if (*p++ != '"') {
			*why = "expected a field name";
			return -1;
		}
		size_t nlen;
		if (read_string(&p, &f->name, &nlen, why) < 0)
			return -1;
		p = skip_ws(p);
		if (*p++ != ':') {
			*why = "expected ':'";
			return -1;
		}
		p = skip_ws(p);
		if (*p++ != '"') {
			*why = "value is not a string";
			return -1;
		}
		if (read_string(&p, &f->value, &f->value_len, why) < 0)
			return -1;
		p = skip_ws(p);
		if (*p == '}')
			break;
		if (*p++ != ',') {
			*why = "expected ',' or '}'";
			return -1;
		}
		p = skip_ws(p);
	}
end:
	p = skip_ws(p + 1);
	if (*p != '\0') {
		*why = "text after the object";
		return -1;
	}
	return 0;
}

const char *jsonl_get(const struct jsonl_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return rec->fields[i].value;
	return NULL;
}

void jsonl_begin(struct jsonl_out *o, FILE *f)
{
	o->f = f;
	o->nfields = 0;
	fputc('{', f);
}

static void field_name(struct jsonl_out *o, const char *name)
{
	if (o->nfields++)
		fputc(',', o->f);
	fprintf(o->f, "\"%s\":", name);
}

void jsonl_str(struct jsonl_out *o, const char *name, const char *value,
               size_t len)
{
	field_name(o, name);
	fputc('"', o->f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '"' || c == '\\')
			fprintf(o->f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(o->f, "\\u%04x", c);
		else
			fputc(c, o->f);
	}
	fputc('"', o->f);
}

void jsonl_hex(struct jsonl_out *o, const char *name, const uint8_t *buf,
               size_t len)
{
	field_name(o, name);
	fputc('"', o->f);
	for (size_t i = 0; i < len; i++)
		fprintf(o->f, "%02x", buf[i]);
	fputc('"', o->f);
}

void jsonl_end(struct jsonl_out *o)
{
	fputs("}\n", o->f);
}

long hex_decode(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]);
		int lo = hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}
