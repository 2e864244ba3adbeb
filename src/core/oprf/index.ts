/**
 * Cairn's RFC 9497 OPRF, portable path: VOPRF mode (0x01) of
 * ristretto255-SHA512, on noble-curves, with Cairn's argument checks and
 * typed errors at the boundary. Runs on Node and on Workers alike.
 *
 *   node (server)                         peer (client)
 *   keys:   deriveOprfKeyPair / generateOprfKeyPair; publish pkS
 *   tokens: evaluateToken(skS, matchKey)  blind(matchKey) -> blindedElement
 *           blindEvaluateBatch(skS, pkS, blindedElements) -> evaluated, proof
 *                                         finalizeBatch(...) -> tokens (proof checked)
 *
 * A token is the 64-byte PRF output; equal inputs give equal tokens under the
 * same key, which is what a blind hit/no-hit query compares.
 * https://www.rfc-editor.org/rfc/rfc9497
 */
export { createPortableTokenBackend, createSequentialTokenBackend, type TokenBackend } from './backend.js';
export { blind, finalizeBatch, type BlindedInput } from './client.js';
export { finalizeHash } from './finalize.js';
export { hashToGroup, hashToGroupUniformBytes } from './hash-to-group.js';
export {
  deriveOprfKeyPair,
  generateOprfKeyPair,
  oprfPublicKey,
  validateOprfSecretKey,
  type OprfKeyPair,
} from './keys.js';
export { defaultRandomBytes, randomScalar, type RandomBytes } from './random.js';
export {
  deserializeElement,
  deserializeScalar,
  requireElement,
  requireProof,
  serializeElement,
  serializeScalar,
  type RistrettoPoint,
} from './serialization.js';
export { blindEvaluateBatch, evaluateToken, type BlindEvaluation } from './server.js';
export { relocate, type OprfField } from './checks.js';
export { contextString, VOPRF_CONTEXT, VOPRF_HASH_TO_GROUP_DST, type OprfMode } from './suite.js';
