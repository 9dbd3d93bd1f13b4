/*
 * key.c - struct lp2p_key: generation, sign/verify and the protobuf
 * PublicKey/PrivateKey framing.  The per-type Data codecs are in
 * key_<type>.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/key.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <lp2p/protobuf.h>

enum { KEY_FIELD_TYPE = 1, KEY_FIELD_DATA = 2 };

static const struct lp2p_key_codec *codec_of(uint64_t type)
{
	switch (type) {
	case LP2P_KEY_RSA: return &lp2p_key_rsa_codec;
	case LP2P_KEY_ED25519: return &lp2p_key_ed25519_codec;
	case LP2P_KEY_SECP256K1: return &lp2p_key_secp256k1_codec;
	case LP2P_KEY_ECDSA: return &lp2p_key_ecdsa_codec;
	}
	return NULL;
}

int lp2p_key_openssl_error(void)
{
	/* Leave nothing behind for the next OpenSSL user on this thread. */
	ERR_clear_error();
	return LP2P_ECRYPTO;
}

int lp2p_key_wrap(EVP_PKEY *pkey, enum lp2p_key_type type, int is_private,
                  struct lp2p_key **out)
{
	struct lp2p_key *key = calloc(1, sizeof(*key));
	if (!key) {
		EVP_PKEY_free(pkey);
		return LP2P_ENOMEM;
	}
	key->pkey = pkey;
	key->type = type;
	key->is_private = is_private;
	*out = key;
	return 0;
}

EVP_PKEY *lp2p_key_evp(const struct lp2p_key *key)
{
	return key->pkey;
}

LP2P_API int lp2p_key_generate(enum lp2p_key_type type, unsigned bits,
                               struct lp2p_key **out)
{
	const struct lp2p_key_codec *codec = codec_of(type);
	EVP_PKEY *pkey = NULL;

	if (!codec || !out)
		return LP2P_EINVAL;
	int rc = codec->generate(bits, &pkey);
	if (rc < 0)
		return rc;
	return lp2p_key_wrap(pkey, type, 1, out);
}

LP2P_API void lp2p_key_free(struct lp2p_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey); /* providers wipe private material */
	free(key);
}

LP2P_API enum lp2p_key_type lp2p_key_type(const struct lp2p_key *key)
{
	return key->type;
}

LP2P_API int lp2p_key_is_private(const struct lp2p_key *key)
{
	return key && key->is_private;
}

LP2P_API size_t lp2p_key_sig_size(const struct lp2p_key *key)
{
	int n = key ? EVP_PKEY_get_size(key->pkey) : 0;
	return n > 0 ? (size_t)n : 0;
}

LP2P_API int lp2p_key_sign(const struct lp2p_key *key, const uint8_t *msg,
                           size_t len, uint8_t *sig, size_t cap)
{
	static const uint8_t empty[1];

	if (!key || !key->is_private || !sig || (!msg && len))
		return LP2P_EINVAL;
	if (cap < lp2p_key_sig_size(key))
		return LP2P_ERANGE;

	const struct lp2p_key_codec *codec = codec_of(key->type);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = cap;
	int rc = LP2P_ECRYPTO;

	if (!md)
		return LP2P_ENOMEM;
	if (EVP_DigestSignInit_ex(md, NULL, codec->digest, NULL, NULL,
	                          key->pkey, NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg ? msg : empty, len) != 1) {
		rc = lp2p_key_openssl_error();
		goto out;
	}
	if (codec->fix_signature) {
		rc = codec->fix_signature(sig, &siglen, cap);
		if (rc < 0)
			goto out;
	}
	rc = (int)siglen;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

LP2P_API int lp2p_key_verify(const struct lp2p_key *key, const uint8_t *msg,
                             size_t len, const uint8_t *sig, size_t siglen)
{
	static const uint8_t empty[1];

	if (!key || (!msg && len) || (!sig && siglen))
		return LP2P_EINVAL;
	if (siglen == 0 || siglen > LP2P_KEY_SIG_MAX)
		return LP2P_ECRYPTO;

	const struct lp2p_key_codec *codec = codec_of(key->type);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc;

	if (!md)
		return LP2P_ENOMEM;
	if (EVP_DigestVerifyInit_ex(md, NULL, codec->digest, NULL, NULL,
	                            key->pkey, NULL) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg ? msg : empty, len) == 1)
		rc = 0;
	else
		rc = lp2p_key_openssl_error();
	EVP_MD_CTX_free(md);
	return rc;
}

/* Type then Data, as the spec's deterministic encoding wants. */
static int key_message_write(enum lp2p_key_type type, const uint8_t *data,
                             size_t len, uint8_t *buf, size_t cap)
{
	struct lp2p_pb_writer w;
	lp2p_pb_writer_init(&w, buf, cap);
	lp2p_pb_put_varint(&w, KEY_FIELD_TYPE, (uint64_t)type);
	lp2p_pb_put_bytes(&w, KEY_FIELD_DATA, data, len);
	return lp2p_pb_writer_finish(&w);
}

LP2P_API int lp2p_key_marshal_public(const struct lp2p_key *key, uint8_t *buf,
                                     size_t cap)
{
	uint8_t data[LP2P_KEY_PUBLIC_MAX];

	if (!key || !buf)
		return LP2P_EINVAL;
	int n =
	    codec_of(key->type)->encode_public(key->pkey, data, sizeof(data));
	if (n < 0)
		return n;
	return key_message_write(key->type, data, (size_t)n, buf, cap);
}

LP2P_API int lp2p_key_marshal_private(const struct lp2p_key *key, uint8_t *buf,
                                      size_t cap)
{
	uint8_t data[LP2P_KEY_PRIVATE_MAX];

	if (!key || !key->is_private || !buf)
		return LP2P_EINVAL;
	int n =
	    codec_of(key->type)->encode_private(key->pkey, data, sizeof(data));
	if (n >= 0)
		n = key_message_write(key->type, data, (size_t)n, buf, cap);
	OPENSSL_cleanse(data, sizeof(data));
	return n;
}

/*
 * Split a PublicKey/PrivateKey message into its Type and Data: exactly
 * those two fields, once each (in any order), with their wire types.
 */
static int key_message_parse(const uint8_t *buf, size_t len,
                             const struct lp2p_key_codec **codec,
                             enum lp2p_key_type *type, const uint8_t **data,
                             size_t *data_len)
{
	struct lp2p_pb_reader r;
	struct lp2p_pb_field f;
	uint64_t type_value = 0;
	int have_type = 0, have_data = 0, rc;

	lp2p_pb_reader_init(&r, buf, len);
	while ((rc = lp2p_pb_next(&r, &f)) == 1) {
		if (f.number == KEY_FIELD_TYPE && f.wire == LP2P_PB_VARINT &&
		    !have_type) {
			type_value = f.u64;
			have_type = 1;
		} else if (f.number == KEY_FIELD_DATA &&
		           f.wire == LP2P_PB_LEN && !have_data) {
			*data = f.data;
			*data_len = f.len;
			have_data = 1;
		} else {
			return LP2P_EPROTO;
		}
	}
	if (rc < 0 || !have_type || !have_data)
		return LP2P_EPROTO;
	*codec = codec_of(type_value);
	if (!*codec)
		return LP2P_ENOTSUP;
	*type = (enum lp2p_key_type)type_value;
	return 0;
}

static int key_unmarshal(const uint8_t *buf, size_t len, size_t max,
                         int is_private, struct lp2p_key **out)
{
	const struct lp2p_key_codec *codec;
	enum lp2p_key_type type;
	const uint8_t *data = NULL;
	size_t data_len = 0;
	EVP_PKEY *pkey = NULL;

	if ((!buf && len) || !out)
		return LP2P_EINVAL;
	if (len > max)
		return LP2P_ERANGE;
	int rc = key_message_parse(buf, len, &codec, &type, &data, &data_len);
	if (rc < 0)
		return rc;
	rc = is_private ? codec->decode_private(data, data_len, &pkey)
	                : codec->decode_public(data, data_len, &pkey);
	if (rc < 0)
		return rc;
	return lp2p_key_wrap(pkey, type, is_private, out);
}

LP2P_API int lp2p_key_unmarshal_public(const uint8_t *buf, size_t len,
                                       struct lp2p_key **out)
{
	return key_unmarshal(buf, len, LP2P_KEY_PUBLIC_MAX, 0, out);
}

LP2P_API int lp2p_key_unmarshal_private(const uint8_t *buf, size_t len,
                                        struct lp2p_key **out)
{
	return key_unmarshal(buf, len, LP2P_KEY_PRIVATE_MAX, 1, out);
}

LP2P_API int lp2p_key_public(const struct lp2p_key *key, struct lp2p_key **out)
{
	uint8_t buf[LP2P_KEY_PUBLIC_MAX];

	if (!key || !out)
		return LP2P_EINVAL;
	int n = lp2p_key_marshal_public(key, buf, sizeof(buf));
	if (n < 0)
		return n;
	return lp2p_key_unmarshal_public(buf, (size_t)n, out);
}

LP2P_API int lp2p_key_equal_public(const struct lp2p_key *a,
                                   const struct lp2p_key *b)
{
	uint8_t abuf[LP2P_KEY_PUBLIC_MAX], bbuf[LP2P_KEY_PUBLIC_MAX];

	if (!a || !b || a->type != b->type)
		return 0;
	int an = lp2p_key_marshal_public(a, abuf, sizeof(abuf));
	int bn = lp2p_key_marshal_public(b, bbuf, sizeof(bbuf));
	return an > 0 && an == bn && memcmp(abuf, bbuf, (size_t)an) == 0;
}

static const char *const key_type_names[] = {
    [LP2P_KEY_RSA] = "rsa",
    [LP2P_KEY_ED25519] = "ed25519",
    [LP2P_KEY_SECP256K1] = "secp256k1",
    [LP2P_KEY_ECDSA] = "ecdsa",
};

LP2P_API const char *lp2p_key_type_name(enum lp2p_key_type type)
{
	if ((unsigned)type >=
	    sizeof(key_type_names) / sizeof(key_type_names[0]))
		return NULL;
	return key_type_names[type];
}

LP2P_API int lp2p_key_type_from_name(const char *name)
{
	if (!name)
		return LP2P_EINVAL;
	for (size_t i = 0;
	     i < sizeof(key_type_names) / sizeof(key_type_names[0]); i++)
		if (strcasecmp(name, key_type_names[i]) == 0)
			return (int)i;
	return LP2P_ENOTSUP;
}
