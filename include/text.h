/* Bytes from the network or from a URL list, written where people and programs read them:
 * terminals and logs (controls shown as \xNN), JSON strings (always valid UTF-8, lossless), and
 * URLs with any password hidden. Pure: each writes into a bounded buf_writer. */
#ifndef VOLLEY_TEXT_H
#define VOLLEY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ASCII lowercase: host names, field names and the tokens compared with them are ASCII. */
static inline char text_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The value of a hex digit, or -1. */
static inline int text_hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* FNV-1a 64 over n bytes, going on from h (start with TEXT_HASH_INIT); with fold, ASCII
 * letters hash as lowercase, for names compared case-insensitively. */
#define TEXT_HASH_INIT 14695981039346656037ULL

static inline uint64_t text_hash(uint64_t h, const char *s, size_t n, bool fold)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)(fold ? text_lower(s[i]) : s[i])) * 1099511628211ULL;
    return h;
}

/* Length of the well-formed UTF-8 sequence at p (1 to 4 bytes: no overlong forms, surrogates or
 * code points over U+10FFFF), or 0 if the bytes there are not one. */
size_t text_utf8_len(const unsigned char *p, size_t n);

/* For a terminal: C0 controls, DEL, C1 controls (U+0080..U+009F) and bytes that are not UTF-8
 * become \xNN (a C1 control in UTF-8 shows as its two bytes), so no input can move a cursor,
 * ring a bell or forge a line of its own. Everything else is copied as it is. */
void text_put_human(struct buf_writer *w, const char *s, size_t n);

/* The contents of a JSON string (RFC 8259 section 7): '"' and '\\' escaped, controls (C0, DEL,
 * C1) as \u00XX, well-formed UTF-8 as it is, and each byte that is not UTF-8 as the lone
 * surrogate \uDCXX (XX the byte), as Python's "surrogateescape" does: the line stays valid
 * UTF-8 and os.fsencode(json.loads(...)) gives back the exact bytes. */
void text_put_json(struct buf_writer *w, const char *s, size_t n);

enum text_style { TEXT_HUMAN, TEXT_JSON };

/* A URL as text_put_human or text_put_json would write it, with the password of any
 * "user:password@" in its authority shown as "***". */
void text_put_url(struct buf_writer *w, const char *url, size_t n, enum text_style style);

/* The worst-case growth of text_put_json and text_put_human: bytes out per byte in. */
#define TEXT_MAX_EXPANSION 6

#endif
