import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { follows, peek, peekEnvelope } from './envelope-prefix.js';
import { leafHash } from './merkle/hashing.js';
import { encodeEnvelope } from './record.js';

const checkpoint = { v: 1 as const, kind: 'checkpoint' as const, note: 'n' };
const HASH = leafHash(Buffer.from('previous'));

describe('the envelope prefix', () => {
  it('reads index, previous hash and checkpoint mark from a stored line, in text and in bytes', () => {
    const first = encodeEnvelope({ i: 0, p: '', r: checkpoint });
    const next = encodeEnvelope({ i: 12, p: HASH.toString('hex'), r: checkpoint });
    expect(peekEnvelope(first)).toEqual({ i: 0, p: '' });
    expect(peekEnvelope(next)).toEqual({ i: 12, p: HASH.toString('hex') });
    expect(peek(Buffer.from(first))).toEqual({ i: 0, p: -1, checkpoint: true });
    const peeked = peek(Buffer.from(next));
    expect(peeked).toEqual({ i: 12, p: next.indexOf(HASH.toString('hex')), checkpoint: true });
    const event = '{"i":3,"p":"","r":{"autonomous":false,"kind":"task-end"}}';
    expect(peek(Buffer.from(event))?.checkpoint).toBe(false);
  });

  it('tells whether a line follows a leaf hash, digit by digit', () => {
    const line = Buffer.from(encodeEnvelope({ i: 1, p: HASH.toString('hex'), r: checkpoint }));
    const envelope = peek(line);
    if (envelope === undefined) throw new Error('not an envelope');
    const hashes = Buffer.concat([Buffer.alloc(32, 7), HASH]);
    expect(follows(line, envelope, hashes, 32)).toBe(true);
    expect(follows(line, envelope, hashes, 0)).toBe(false);
    expect(follows(line, envelope, undefined, 0)).toBe(false);
    const first = Buffer.from(encodeEnvelope({ i: 0, p: '', r: checkpoint }));
    const empty = peek(first);
    if (empty === undefined) throw new Error('not an envelope');
    expect(follows(first, empty, undefined, 0)).toBe(true);
    expect(follows(first, empty, hashes, 32)).toBe(false);
  });

  const prefix = fc.record({
    i: fc.oneof(fc.nat(), fc.constantFrom('00', '01', '1e3', '-1', '12345678901234567', '')),
    p: fc.oneof(
      fc.constant(''),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
      fc.constantFrom('A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'zz'),
    ),
    rest: fc.oneof(fc.constant('"kind":"checkpoint"}}'), fc.string({ maxLength: 30 })),
  });
  test.prop([prefix])('the text and byte readers agree on every line', ({ i, p, rest }) => {
    const line = `{"i":${i},"p":"${p}","r":{${rest}`;
    const text = peekEnvelope(line);
    const bytes = peek(Buffer.from(line, 'utf8'));
    expect(bytes === undefined).toBe(text === undefined);
    if (text === undefined || bytes === undefined) return;
    expect(bytes.i).toBe(text.i);
    expect(bytes.p === -1 ? '' : line.slice(bytes.p, bytes.p + 64)).toBe(text.p);
  });
});
