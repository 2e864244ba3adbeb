/**
 * The Node fast path for a node's own tokens: Evaluate(skS, input) of
 * RFC 9497 (VOPRF mode, ristretto255-SHA512) with the group work done by
 * libsodium (native or WASM, ./sodium.ts) instead of noble's BigInt
 * arithmetic. It must agree byte for byte with the portable `evaluateToken`;
 * tests hold it to that.
 *
 *   uniform = expand_message_xmd(SHA-512, input, DST, 64)   node:crypto (node-hash.ts)
 *   P       = crypto_core_ristretto255_from_hash(uniform)   libsodium (RFC 9496 §4.3.4)
 *   Z       = crypto_scalarmult_ristretto255(skS, P)        libsodium
 *   token   = SHA-512(len||input||len||Z||"Finalize")       node:crypto (node-hash.ts)
 *
 * Node only: Workers use the portable path.
 */
import { createSequentialTokenBackend, type TokenBackend } from '../../core/oprf/backend.js';
import { oprfError, requireInput } from '../../core/oprf/checks.js';
import { nodeFinalizeHash, nodeHashToGroupUniformBytes } from './node-hash.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { loadSodium, type Sodium } from './sodium.js';

/**
 * Evaluate(skS, input) with libsodium. `secretKey` must already be validated
 * (validateOprfSecretKey); `input` is checked here.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2
 */
export function sodiumEvaluateToken(lib: Sodium, secretKey: Uint8Array, input: Uint8Array): Uint8Array {
  const x = requireInput(input, 'input');
  const point = lib.crypto_core_ristretto255_from_hash(nodeHashToGroupUniformBytes(x));
  let unblinded: Uint8Array;
  try {
    // Fails only when the product is the identity: an input hashing to the identity.
    unblinded = lib.crypto_scalarmult_ristretto255(secretKey, point);
  } catch (cause) {
    throw oprfError('oprf_invalid_input', 'input', 'maps to the identity element', cause);
  }
  return nodeFinalizeHash(x, unblinded);
}

/** A TokenBackend on libsodium, on the calling thread. */
export async function createSodiumTokenBackend(secretKey: Uint8Array): Promise<TokenBackend> {
  validateOprfSecretKey(secretKey);
  const lib = await loadSodium();
  return createSequentialTokenBackend('sodium', secretKey, (key, input) => sodiumEvaluateToken(lib, key, input));
}
