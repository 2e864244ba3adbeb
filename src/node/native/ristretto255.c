/*
 * Native ristretto255 for the Node runtime: the eleven libsodium functions
 * Cairn's OPRF uses (src/node/oprf/sodium.ts), bound with Node-API to the
 * system's libsodium (Debian: libsodium-dev), with the names, argument order
 * and results of libsodium-wrappers-sumo, so the WASM build and this one are
 * interchangeable and tests hold them to the same bytes.
 *
 * Why: the WASM build runs a variable-base scalar multiplication in about
 * 100 us on this hardware, the native library in about 48 us; every search,
 * every answer and every token is made of those.
 *
 * Conventions:
 *   - every argument is a Uint8Array (a Buffer is one) of the exact length
 *     libsodium requires, else a TypeError naming the function and argument;
 *   - results are fresh Uint8Arrays;
 *   - a libsodium failure (an invalid point, a product that is the
 *     identity, the inverse of zero) throws an Error, as the wrappers do.
 * The module keeps no state besides sodium_init(); the functions are pure and
 * safe on any thread, so worker threads load it too.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>

#define POINT crypto_core_ristretto255_BYTES
#define SCALAR crypto_core_ristretto255_SCALARBYTES
#define HASH crypto_core_ristretto255_HASHBYTES
#define NONREDUCED crypto_core_ristretto255_NONREDUCEDSCALARBYTES

/* Throw a TypeError `fn: argument i <why>` and return false. */
static bool type_error(napi_env env, const char *fn, size_t i, const char *why) {
  char message[160];
  snprintf(message, sizeof message, "%s: argument %zu %s", fn, i + 1, why);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return false;
}

/*
 * Read exactly `count` arguments, each a Uint8Array of lengths[i] bytes, into
 * data[i] (pointers into the caller's memory, valid for this call only).
 */
static bool read_args(napi_env env, napi_callback_info info, const char *fn, size_t count, const size_t *lengths,
                      const unsigned char **data) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < count) return type_error(env, fn, argc, "is missing");
  for (size_t i = 0; i < count; i++) {
    bool is_typed = false;
    napi_typedarray_type type;
    size_t length = 0;
    void *bytes = NULL;
    if (napi_is_typedarray(env, argv[i], &is_typed) != napi_ok || !is_typed) return type_error(env, fn, i, "is not a Uint8Array");
    if (napi_get_typedarray_info(env, argv[i], &type, &length, &bytes, NULL, NULL) != napi_ok) return false;
    if (type != napi_uint8_array) return type_error(env, fn, i, "is not a Uint8Array");
    if (length != lengths[i]) {
      char why[64];
      snprintf(why, sizeof why, "has %zu bytes, expected %zu", length, lengths[i]);
      return type_error(env, fn, i, why);
    }
    /* A zero-length view may have a NULL base; lengths here are never zero. */
    data[i] = bytes;
  }
  return true;
}

/*
 * RFC 9496 §4.3.1 decodes 32 bytes as an integer below p = 2^255 - 19, so an
 * encoding with bit 255 set is invalid. libsodium before 1.0.19 (Debian 12
 * ships 1.0.18) ignores that bit and accepts such an encoding as the point
 * without it; the WASM build (1.0.22) and noble refuse it. Every point
 * argument is checked here first, so that the builds agree whatever the
 * system's libsodium: a peer's element refused by one is refused by all.
 */
static bool top_bit_set(const unsigned char *p) { return (p[POINT - 1] & 0x80) != 0; }

/* A fresh Uint8Array of `length` bytes; *out points at its memory. */
static napi_value new_bytes(napi_env env, size_t length, unsigned char **out) {
  napi_value buffer, array;
  void *data = NULL;
  if (napi_create_arraybuffer(env, length, &data, &buffer) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_uint8_array, length, buffer, 0, &array) != napi_ok) return NULL;
  *out = data;
  return array;
}

static napi_value fail(napi_env env, const char *fn, const char *why) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", fn, why);
  napi_throw_error(env, NULL, message);
  return NULL;
}

/*
 * BINDING(name, out_len, call, why, in_len...) defines js_<name>, the
 * binding of libsodium's <name> (exported as <name>): its arguments are
 * Uint8Arrays of the in_len lengths, readable in `call` as a[0], a[1]; `call`
 * writes out_len bytes to `out` and returns 0, or fails with `why`.
 */
#define BINDING(name, out_len, call, why, ...)                                               \
  static napi_value js_##name(napi_env env, napi_callback_info info) {                        \
    static const size_t lengths[] = {__VA_ARGS__};                                           \
    const unsigned char *a[sizeof lengths / sizeof lengths[0]];                              \
    unsigned char *out;                                                                      \
    if (!read_args(env, info, #name, sizeof lengths / sizeof lengths[0], lengths, a)) return NULL; \
    napi_value result = new_bytes(env, out_len, &out);                                       \
    if (result == NULL) return NULL;                                                         \
    if ((call) != 0) return fail(env, #name, why);                                           \
    return result;                                                                           \
  }

/* Adapters for libsodium's functions that return void. */
static int reduce(unsigned char *out, const unsigned char *in) {
  crypto_core_ristretto255_scalar_reduce(out, in);
  return 0;
}
static int scalar_mul(unsigned char *out, const unsigned char *x, const unsigned char *y) {
  crypto_core_ristretto255_scalar_mul(out, x, y);
  return 0;
}
static int scalar_sub(unsigned char *out, const unsigned char *x, const unsigned char *y) {
  crypto_core_ristretto255_scalar_sub(out, x, y);
  return 0;
}
static int scalar_add(unsigned char *out, const unsigned char *x, const unsigned char *y) {
  crypto_core_ristretto255_scalar_add(out, x, y);
  return 0;
}

BINDING(crypto_core_ristretto255_from_hash, POINT, crypto_core_ristretto255_from_hash(out, a[0]), "failed", HASH)
BINDING(crypto_core_ristretto255_scalar_reduce, SCALAR, reduce(out, a[0]), "failed", NONREDUCED)
BINDING(crypto_core_ristretto255_scalar_invert, SCALAR, crypto_core_ristretto255_scalar_invert(out, a[0]), "the scalar is zero", SCALAR)
BINDING(crypto_scalarmult_ristretto255_base, POINT, crypto_scalarmult_ristretto255_base(out, a[0]), "the product is the identity", SCALAR)
BINDING(crypto_scalarmult_ristretto255, POINT, top_bit_set(a[1]) ? -1 : crypto_scalarmult_ristretto255(out, a[0], a[1]),
        "invalid point, or the product is the identity", SCALAR, POINT)
BINDING(crypto_core_ristretto255_add, POINT, top_bit_set(a[0]) || top_bit_set(a[1]) ? -1 : crypto_core_ristretto255_add(out, a[0], a[1]),
        "invalid point", POINT, POINT)
BINDING(crypto_core_ristretto255_scalar_mul, SCALAR, scalar_mul(out, a[0], a[1]), "failed", SCALAR, SCALAR)
BINDING(crypto_core_ristretto255_scalar_sub, SCALAR, scalar_sub(out, a[0], a[1]), "failed", SCALAR, SCALAR)
BINDING(crypto_core_ristretto255_scalar_add, SCALAR, scalar_add(out, a[0], a[1]), "failed", SCALAR, SCALAR)

static napi_value js_crypto_core_ristretto255_is_valid_point(napi_env env, napi_callback_info info) {
  static const size_t lengths[1] = {POINT};
  const unsigned char *a[1];
  napi_value result;
  if (!read_args(env, info, "crypto_core_ristretto255_is_valid_point", 1, lengths, a)) return NULL;
  if (napi_get_boolean(env, !top_bit_set(a[0]) && crypto_core_ristretto255_is_valid_point(a[0]) == 1, &result) != napi_ok) return NULL;
  return result;
}

/* The libsodium version the module runs against, for start-up logs and reports. */
static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_create_string_utf8(env, sodium_version_string(), NAPI_AUTO_LENGTH, &result) != napi_ok) return NULL;
  return result;
}

#define EXPORT(fn) {#fn, NULL, js_##fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  if (sodium_init() < 0) {
    napi_throw_error(env, NULL, "libsodium failed to initialise");
    return NULL;
  }
  static const napi_property_descriptor properties[] = {
      EXPORT(crypto_core_ristretto255_from_hash),
      EXPORT(crypto_core_ristretto255_is_valid_point),
      EXPORT(crypto_core_ristretto255_add),
      EXPORT(crypto_core_ristretto255_scalar_reduce),
      EXPORT(crypto_core_ristretto255_scalar_invert),
      EXPORT(crypto_core_ristretto255_scalar_mul),
      EXPORT(crypto_core_ristretto255_scalar_sub),
      EXPORT(crypto_core_ristretto255_scalar_add),
      EXPORT(crypto_scalarmult_ristretto255),
      EXPORT(crypto_scalarmult_ristretto255_base),
      {"sodium_version_string", NULL, version, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
