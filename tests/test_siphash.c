/*
 * icp_siphash13 against OpenSSL's SipHash (EVP_MAC "SIPHASH" with one
 * compression and three finalization rounds), an implementation written
 * apart from this one, on every length 0..200 and random keys.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "icp_siphash.h"


static uint64_t
openssl_siphash13(const unsigned char *key, const unsigned char *data,
    size_t len)
{
    size_t         out_len;
    unsigned int   c_rounds = 1, d_rounds = 3, size = 8;
    unsigned char  out[8];
    uint64_t       h;
    EVP_MAC       *mac;
    EVP_MAC_CTX   *ctx;
    OSSL_PARAM     params[4];
    int            i;

    mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    assert_non_null(mac);
    ctx = EVP_MAC_CTX_new(mac);
    assert_non_null(ctx);

    params[0] = OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_SIZE, &size);
    params[1] = OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &c_rounds);
    params[2] = OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &d_rounds);
    params[3] = OSSL_PARAM_construct_end();

    assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
    assert_int_equal(EVP_MAC_update(ctx, data, len), 1);
    assert_int_equal(EVP_MAC_final(ctx, out, &out_len, sizeof(out)), 1);
    assert_int_equal(out_len, 8);

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);

    /* the tag is the hash's 64 bits, least significant byte first */
    h = 0;
    for (i = 7; i >= 0; i--) {
        h = (h << 8) | out[i];
    }

    return h;
}


static void
test_every_length(void **state)
{
    size_t         i, len;
    unsigned char  key[16], data[200];

    (void) state;

    for (i = 0; i < 16; i++) {
        key[i] = (unsigned char) i;
    }

    for (i = 0; i < sizeof(data); i++) {
        data[i] = (unsigned char) i;
    }

    for (len = 0; len <= sizeof(data); len++) {
        assert_true(icp_siphash13(key, data, len)
                    == openssl_siphash13(key, data, len));
    }
}


static void
test_random_keys(void **state)
{
    size_t         i, round, len;
    unsigned char  key[16], data[64];

    (void) state;

    srand(7);

    for (round = 0; round < 500; round++) {
        for (i = 0; i < 16; i++) {
            key[i] = (unsigned char) rand();
        }

        len = (size_t) rand() % sizeof(data);

        for (i = 0; i < len; i++) {
            data[i] = (unsigned char) rand();
        }

        assert_true(icp_siphash13(key, data, len)
                    == openssl_siphash13(key, data, len));
    }
}


static void
test_key_matters(void **state)
{
    unsigned char  k1[16] = { 0 }, k2[16] = { 0 };

    (void) state;

    k2[15] = 1;
    assert_true(icp_siphash13(k1, "icp:ip:192.0.2.1", 16)
                != icp_siphash13(k2, "icp:ip:192.0.2.1", 16));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_every_length),
        cmocka_unit_test(test_random_keys),
        cmocka_unit_test(test_key_matters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
