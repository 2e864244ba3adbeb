/**
 * The last step of every RFC 9497 evaluation, shared by the client (after
 * unblinding), the server's full evaluation and the Node fast path:
 *
 *   hashInput = I2OSP(len(input), 2) || input ||
 *               I2OSP(len(unblindedElement), 2) || unblindedElement ||
 *               "Finalize"
 *   output    = SHA-512(hashInput)                      (64 bytes)
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { i2osp, utf8 } from '../bytes.js';
import { OPRF } from '../constants.js';

const FINALIZE = utf8(OPRF.labels.finalize);

/**
 * The Finalize hash over an input and its serialized unblinded element.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.1
 */
export function finalizeHash(input: Uint8Array, unblindedElement: Uint8Array): Uint8Array {
  const buf = new Uint8Array(2 + input.length + 2 + unblindedElement.length + FINALIZE.length);
  let off = 0;
  buf.set(i2osp(input.length, 2), off);
  off += 2;
  buf.set(input, off);
  off += input.length;
  buf.set(i2osp(unblindedElement.length, 2), off);
  off += 2;
  buf.set(unblindedElement, off);
  off += unblindedElement.length;
  buf.set(FINALIZE, off);
  return sha512(buf);
}
