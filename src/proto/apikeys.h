/*
 * API keys (auth_keys, docs/auth.md): the text of a keys file, lines of
 * "NAME HASH" where HASH is the hex SHA-256 of a key, made into a table
 * that finds the name of the key a client sends by its digest.  Only
 * digests are held, never a key; digests are compared in constant time
 * (CRYPTO_memcmp).  Pure: the master reads the file and hands the bytes
 * over; the table is built once per configuration and only read after.
 */
#ifndef MG_APIKEYS_H
#define MG_APIKEYS_H

#include <stddef.h>
#include <stdint.h>

#define MG_APIKEY_DIGEST 32    /* SHA-256 */
#define MG_APIKEY_NAME_MAX 128 /* bytes of a name */

typedef struct mg_apikeys mg_apikeys_t;

/* Why a file was refused: the line (from 1; 0 when the fault is not a
 * line's, such as memory) and what is wrong with it. */
typedef struct {
	int  line;
	char why[256];
} mg_apikeys_err_t;

/* The keys of TEXT (LEN bytes), or NULL with *ERR filled.  Lines are
 * "NAME HASH" with blanks (spaces, tabs) between and around, and an
 * optional "# comment" after; blank lines and lines that start with '#'
 * are skipped.  A name is 1 to MG_APIKEY_NAME_MAX bytes of printable
 * ASCII without '"' or '\'; a hash is 64 hex digits.  Two lines with one
 * name, or one hash, are refused.  No line at all is allowed: every key
 * is then refused. */
mg_apikeys_t *mg_apikeys_parse(
    const char *text, size_t len, mg_apikeys_err_t *err);

size_t mg_apikeys_count(const mg_apikeys_t *keys);

/* The SHA-256 of KEY into OUT; MG_OK, or MG_ERROR (out of memory). */
int mg_apikeys_digest(const mg_apikeys_t *keys, const void *key, size_t len,
    uint8_t out[MG_APIKEY_DIGEST]);

/* The name of the key whose digest is D, or NULL. */
const char *mg_apikeys_find(
    const mg_apikeys_t *keys, const uint8_t d[MG_APIKEY_DIGEST]);

void mg_apikeys_free(mg_apikeys_t *keys);

#endif
