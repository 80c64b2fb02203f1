import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PETER_VKEY, SPEC_VKEY } from './__support__/note-vectors.js';
import { parseVerifierKey } from './verifier-key.js';

describe('key ids', () => {
  it('computes key ids as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]', () => {
    for (const [vkey, name, id] of [
      [PETER_VKEY, 'PeterNeumann', 'c74f20a3'],
      [SPEC_VKEY, 'example.com/foo', '530d903a'],
    ] as const) {
      const typed = Buffer.from(vkey.slice(vkey.lastIndexOf('+', vkey.length - 45) + 1), 'base64');
      const independent = createHash('sha256')
        .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.of(0x0a), typed]))
        .digest()
        .subarray(0, 4);
      const verifier = parseVerifierKey(vkey);
      expect(typed[0]).toBe(0x01);
      expect(independent.toString('hex')).toBe(id);
      expect(verifier.name).toBe(name);
      expect(verifier.keyId.toString('hex')).toBe(id);
    }
  });
});
