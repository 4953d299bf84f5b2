/*
 * Sealed session tokens: the downstream Mcp-Session-Id.
 *
 * A token carries the whole session (route, protocol version, upstream
 * session ids), sealed with AES-256-GCM under a key derived by HKDF-SHA256
 * from the session key material.  Any worker, and any other mcpgw with the
 * same key material, can open it; nobody without the key can read it or
 * forge one.  A token never expires by itself: the caller compares "issued"
 * with its own limit.
 *
 * Nonces are random (96 bits), so one key should seal no more than about
 * 2^32 tokens; rotate the key file long before that.
 */
#ifndef MG_SESSION_H
#define MG_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

#define MG_SESSION_IKM_MIN 32     /* bytes of key material at least */
#define MG_SESSION_IKM_MAX 4096   /* longest key file we read */
#define MG_SESSION_TOKEN_MAX 4096 /* longest token we issue or accept */

/* Owns the cipher state; one per process, not shared between threads. */
typedef struct mg_session_key mg_session_key_t;

/*
 * Derive the sealing key from LEN (>= MG_SESSION_IKM_MIN) bytes of key
 * material with HKDF-SHA256.  NULL on failure.
 */
mg_session_key_t *mg_session_key_new(const uint8_t *ikm, size_t len);
void              mg_session_key_free(mg_session_key_t *key);

/* 32 random bytes, for a master that has no key file.  MG_OK/MG_ERROR. */
int mg_session_ikm_generate(uint8_t out[32]);

/*
 * Read a key file of MG_SESSION_IKM_MIN to MG_SESSION_IKM_MAX bytes (any
 * bytes: "openssl rand -out FILE 32").  The file must be a regular file
 * (a symlink to one is fine) that neither group nor others may read or
 * write.  MG_OK with *ikm malloc'd and *len set, or MG_ERROR with *err a
 * malloc'd message naming the file (NULL if out of memory).
 */
int mg_session_key_load_file(
    const char *path, uint8_t **ikm, size_t *len, char **err);

/* What a token holds.  Strings are NUL-terminated copies in the struct. */
typedef struct {
	uint64_t id;             /* random; key of the worker-shared table */
	int64_t  issued;         /* unix time (s) the session was created */
	char     route[128];     /* the route (location path) it belongs to */
	char     version[16];    /* negotiated MCP version, "2025-11-25" */
	uint8_t  upstream[2560]; /* opaque, the connector's (upstream ids) */
	size_t   upstream_len;
} mg_session_t;

/*
 * Seal S into a NUL-terminated token in OUT: base64url without padding of
 * format byte 0x01 || 12-byte random nonce || AES-256-GCM ciphertext of S
 * encoded || 16-byte tag, the format byte authenticated as AAD.  OUTLEN of
 * MG_SESSION_TOKEN_MAX + 1 is always enough.  MG_ERROR if a string of S is
 * not NUL-terminated in its buffer, upstream_len is too long, OUT is too
 * small or the cipher fails.
 */
int mg_session_seal(const mg_session_key_t *key, const mg_session_t *s,
    char *out, size_t outlen);

/*
 * Open the LEN bytes of TOKEN (NUL not needed).  MG_OK with *s filled;
 * MG_DECLINED, *s zeroed, for any token that is not one we sealed with this
 * key (malformed, truncated, tampered, foreign); MG_ERROR only if the cipher
 * itself fails, which no token can cause.  Safe on any input.
 */
int mg_session_open(const mg_session_key_t *key, const char *token, size_t len,
    mg_session_t *s);

/*
 * Seal LEN (1 to MG_SESSION_DATA_MAX) bytes of opaque DATA the same way
 * (another format byte: a session token never opens as data, nor data as
 * a session): a NUL-terminated base64url token in OUT, which
 * MG_SESSION_DATA_TOKEN_MAX + 1 bytes always hold.  For state a server
 * hands its client and must get back untouched (an input_required
 * result's requestState).  Open: MG_OK with the bytes in OUT (OUTLEN
 * bytes at most) and *N set; MG_DECLINED for anything we did not seal
 * with this key, or too long for OUT.
 */
#define MG_SESSION_DATA_MAX 1024
#define MG_SESSION_DATA_TOKEN_MAX 1408
int mg_session_seal_data(const mg_session_key_t *key, const void *data,
    size_t len, char *out, size_t outlen);
int mg_session_open_data(const mg_session_key_t *key, const char *token,
    size_t len, void *out, size_t outlen, size_t *n);

#endif
