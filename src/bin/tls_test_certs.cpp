// mbedTLS's X.509 self-test, mbedtls_x509_self_test(), which steward never
// calls, refers to the library's test certificates: Debian builds mbedTLS
// without a section per function, so that reference alone would link all
// of them (certs.c, ~54 KB) into the static binary. Defined here, empty,
// the archive's copy is never pulled in. Declared in <mbedtls/certs.h>
// (mbedTLS 2.28): a pointer and a length each.
#include <stddef.h>

extern "C" {
const char* mbedtls_test_ca_crt = "";
extern const size_t mbedtls_test_ca_crt_len;
const size_t mbedtls_test_ca_crt_len = 0;
const char* mbedtls_test_cli_crt = "";
extern const size_t mbedtls_test_cli_crt_len;
const size_t mbedtls_test_cli_crt_len = 0;
}
