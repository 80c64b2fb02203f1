// A deferred record that fails to encode after it was given its index. Records fixed by jsonSnapshot are
// plain JSON data and always encode; short of running out of memory this cannot happen, so the encoder
// is made to fail here (a mock: the failure cannot be produced for real). The log must not lose the
// record silently: the failure is reported, and every later append is refused.
import type { WritError } from '@writ/core';
import { describe, expect, it, vi } from 'vitest';
import { event } from './__support__/log.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { createLogAppender } from './log-appender.js';
import type { Envelope } from './record.js';

vi.mock('./record.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./record.js')>();
  return {
    ...original,
    encodeEnvelope: (envelope: Envelope) => {
      if ((envelope.r as { id?: string }).id === 'evt-poison') throw new Error('out of memory (simulated)');
      return original.encodeEnvelope(envelope);
    },
  };
});

describe('a deferred record that fails to encode (mocked encoder)', () => {
  it('is reported, what came before it is written, and the log refuses every later append', async () => {
    const origin = 'writ.test/audit/failing';
    const keys = generateNoteKeys(origin);
    const lines: string[] = [];
    const errors: WritError[] = [];
    const appender = createLogAppender({
      origin,
      signer: createNoteSigner(keys.signerKey),
      storage: {
        async write(batch) {
          lines.push(...batch);
        },
        async sync() {},
      },
      checkpointIntervalMs: 3_600_000,
      onError: (error) => errors.push(error),
    });
    await appender.append(event(0), 'async');
    const poisoned = await appender.append({ ...event(1), id: 'evt-poison' }, 'async');
    expect(poisoned.index).toBe(1);
    await appender.append(event(2), 'async');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((e) => e.code)).toContain('WRIT_AUDIT_UNAVAILABLE');
    expect(errors[0]?.message).toMatch(/audit record 1 could not be encoded/);
    expect(appender.failed?.code).toBe('WRIT_AUDIT_UNAVAILABLE');
    expect(lines.map((l) => (JSON.parse(l) as { r: { id: string } }).r.id)).toEqual(['evt-0']);
    expect(() => poisoned.leafHash).toThrow(/could not be encoded/);
    await expect(appender.append(event(3), 'async')).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
    });
    await expect(appender.append(event(3), 'strict')).rejects.toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
    });
    await expect(appender.flush()).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
    await expect(appender.close()).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
  });
});
