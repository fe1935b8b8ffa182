/* volley's mbedTLS 3.6 configuration: a TLS 1.2 and TLS 1.3 client, nothing more.
 *
 * tools/mbedtls.sh installs this file as include/mbedtls/mbedtls_config.h of the mbedTLS source
 * it builds, so the library and every file that includes its headers (src/tls.c, src/main.c)
 * see one configuration. Each option is here because volley uses it; third_party/README.md says
 * why in more words, and how to check a change. Anything not listed is off: no server, no DTLS,
 * no debug output, no self tests, no test certificates, no renegotiation, no PSK suites, no
 * persistent PSA keys, no deprecated functions. */
#ifndef VOLLEY_MBEDTLS_CONFIG_H
#define VOLLEY_MBEDTLS_CONFIG_H

/* --- system ---------------------------------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM          /* bignum multiply-accumulate in inline assembly */
#define MBEDTLS_HAVE_TIME         /* session ticket ages and lifetimes */
#define MBEDTLS_HAVE_TIME_DATE    /* certificate validity periods */
#define MBEDTLS_FS_IO             /* mbedtls_x509_crt_parse_file: --cacert and the system bundle */
#define MBEDTLS_THREADING_C       /* PSA's key store and random generator are one per process, */
#define MBEDTLS_THREADING_PTHREAD /* used by every reactor thread during TLS 1.3 handshakes */
#define MBEDTLS_DEPRECATED_REMOVED /* nothing volley calls may be on its way out */
#define MBEDTLS_VERSION_C          /* volley --version prints the library's own version */
#define MBEDTLS_ERROR_C            /* mbedtls_strerror: why the CA bundle did not load */

/* --- randomness ------------------------------------------------------------------------------ */
#define MBEDTLS_ENTROPY_C  /* seeded from getrandom(2) */
#define MBEDTLS_CTR_DRBG_C /* one DRBG per reactor thread (src/tls.c), and PSA's own */

/* --- symmetric ciphers and hashes -------------------------------------------------------------- */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C /* AES and GHASH with AES-NI and PCLMULQDQ, when the CPU has them */
#define MBEDTLS_GCM_C   /* AES-GCM: every TLS 1.3 server, most TLS 1.2 ones */
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C     /* offered first: see src/tls.c */
#define MBEDTLS_CIPHER_MODE_CBC  /* the CBC suites kept for old TLS 1.2 servers */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C   /* the ..._CBC_SHA suites' MAC */
#define MBEDTLS_SHA224_C /* SHA-256's code is shared with SHA-224 */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C /* the ..._SHA384 suites, and certificates signed with SHA-384 */
#define MBEDTLS_SHA512_C /* SHA-384's code is SHA-512's */
#define MBEDTLS_HKDF_C   /* the TLS 1.3 key schedule (through PSA) */

/* --- public keys ------------------------------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM /* fast reduction modulo the NIST primes */
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15 /* RSA certificate signatures, TLS 1.2 RSA key exchange */
#define MBEDTLS_PKCS1_V21 /* RSA-PSS: the only RSA signatures TLS 1.3 allows */
#define MBEDTLS_DHM_C     /* the DHE_RSA suites */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA signatures are DER */
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C /* the CA bundle is PEM */

/* --- PSA crypto (TLS 1.3 needs it; volley calls psa_crypto_init once) -------------------------- */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC /* one ephemeral key per TLS 1.3 handshake in flight, and
                                       * volley may have thousands: no fixed slot count */

/* --- X.509 ------------------------------------------------------------------------------------- */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* certificates signed with RSA-PSS */

/* --- TLS --------------------------------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE /* RFC 8446 appendix D.4: gets through middleboxes */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED     /* full handshakes */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED /* resumption with tickets */
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* mbedTLS's TLS 1.3 code requires it */
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC      /* TLS 1.2 CBC suites: RFC 7366 */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET /* TLS 1.2: RFC 7627 */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_RSA_ENABLED

#endif
