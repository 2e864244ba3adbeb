import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleProtocol } from '../scripts/build-protocol.js';
import { ERROR_CODES, LOCAL_ERROR_CODES } from '../src/core/errors.js';
import { ROOT } from './helpers/cli.js';

describe('PROTOCOL.md', () => {
  it('is the current assembly of protocol/*.md (run `npm run protocol` after editing a section)', () => {
    expect(readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8')).toBe(assembleProtocol(join(ROOT, 'protocol')));
  });

  it('documents every problem code a peer can receive', () => {
    const doc = readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8');
    const peerFacing = ERROR_CODES.filter((c) => !LOCAL_ERROR_CODES.has(c));
    for (const code of peerFacing) expect(doc, code).toContain(`\`${code}\``);
  });
});
