/*
 * jsonl.h - the flat JSON lines of the cross-check corpus: one object per
 * line, every value a string ({"kind":"key","type":"ed25519",...}).  Just
 * enough JSON for that shape; anything else is refused.
 */
#ifndef XCHECK_JSONL_H
#define XCHECK_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONL_MAX_FIELDS 16

struct jsonl_field {
	char *name;  /* NUL-terminated, points into the record's line */
	char *value; /* NUL-terminated (no NUL inside), UTF-8 */
	size_t value_len;
};

struct jsonl_record {
	struct jsonl_field fields[JSONL_MAX_FIELDS];
	size_t nfields;
};

/*
 * Parse line (modified in place: strings are unescaped where they stand)
 * into rec.  Returns 0, or -1 with a reason in *why for a line that is not
 * one flat object of string values.
 */
int jsonl_parse(char *line, struct jsonl_record *rec, const char **why);

/* The value of field name, or NULL if the record has none. */
const char *jsonl_get(const struct jsonl_record *rec, const char *name);

/* Writing one line: jsonl_begin, jsonl_str/jsonl_hex per field, jsonl_end. */
struct jsonl_out {
	FILE *f;
	size_t nfields; /* written so far on this line */
};

void jsonl_begin(struct jsonl_out *o, FILE *f);
void jsonl_str(struct jsonl_out *o, const char *name, const char *value,
               size_t len);
void jsonl_hex(struct jsonl_out *o, const char *name, const uint8_t *buf,
               size_t len);
void jsonl_end(struct jsonl_out *o);

/*
 * Decode the hex string s into buf (capacity cap).  Returns the byte count,
 * or -1 for odd length, a bad digit or a buffer too small.
 */
long hex_decode(const char *s, uint8_t *buf, size_t cap);

#endif
