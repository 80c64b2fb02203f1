import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WritError } from '@writ/core';
import { afterEach, describe, expect, it } from 'vitest';
import { event, tempDir } from '../__support__/log.js';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { parseVerifierKey } from '../checkpoint/verifier-key.js';
import { createFileAuditSink } from '../file/file-sink.js';
import { verifyLog } from '../verify/verify-log.js';
import { generateWitnessKeys, verifyCosignatures } from './cosignature.js';
import { createWitness, type Witness } from './witness.js';

let open: Witness[] = [];
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
});

async function witnessFor(dir: string, name: string, origin: string, verifierKey: string) {
  const keys = generateWitnessKeys(name);
  const w = await createWitness({
    key: keys.signerKey,
    stateDir: join(dir, name.replace(/\W/g, '_')),
    logs: [{ origin, verifierKey }],
  });
  open.push(w);
  return { witness: w, server: await w.listen(), verifierKey: keys.verifierKey };
}

async function write(
  dir: string,
  from: number,
  count: number,
  witnesses: { url: string; verifierKey: string }[],
  errors: WritError[] = [],
) {
  const sink = await createFileAuditSink({
    dir: join(dir, 'audit'),
    keyDir: join(dir, 'keys'),
    checkpointEvery: 5,
    witnesses,
    onError: (e) => errors.push(e),
  });
  for (let n = from; n < from + count; n++) await sink.append(event(n), { durability: 'strict' });
  await sink.close?.();
  return sink;
}

describe('file sink witnesses option', () => {
  it('publishes each sealed checkpoint with the cosignatures of every witness, and verify counts them', async () => {
    const dir = await tempDir('writ-witnessing-');
    // the log's key and origin exist once the sink opened: open it once without witnesses
    const first = await write(dir, 0, 0, []);
    const a = await witnessFor(dir, 'w.test/a', first.origin, first.verifierKey);
    const b = await witnessFor(dir, 'w.test/b', first.origin, first.verifierKey);
    const errors: WritError[] = [];
    const sink = await write(
      dir,
      0,
      23,
      [a.server, b.server].map((s, i) => ({ url: s.url, verifierKey: [a, b][i]?.verifierKey as string })),
      errors,
    );
    expect(errors).toEqual([]);
    const published = await readFile(join(dir, 'audit', 'checkpoint'), 'utf8');
    const cp = openCheckpoint(published, [parseVerifierKey(sink.verifierKey)]);
    const cosigned = verifyCosignatures(published, [a.verifierKey, b.verifierKey]);
    expect(cosigned.ok).toBe(true);
    expect((await a.witness.state(sink.origin))?.size).toBe(cp.size);
    const result = await verifyLog(join(dir, 'audit'), {
      verifierKey: sink.verifierKey,
      witnesses: { keys: [a.verifierKey, b.verifierKey], threshold: 2 },
    });
    expect(result).toMatchObject({ ok: true, state: 'anchored', anchorSize: cp.size });
    expect(result.witnesses).toMatchObject({ ok: true, threshold: 2, size: cp.size, problem: null });
  });

  it('a new writer process, which does not know what the witness holds, follows its 409 and proves consistency from there', async () => {
    const dir = await tempDir('writ-witnessing-');
    const first = await write(dir, 0, 0, []);
    const a = await witnessFor(dir, 'w.test/a', first.origin, first.verifierKey);
    const witnesses = [{ url: a.server.url, verifierKey: a.verifierKey }];
    const errors: WritError[] = [];
    await write(dir, 0, 12, witnesses, errors);
    const held = (await a.witness.state(first.origin))?.size as number;
    await write(dir, 12, 9, witnesses, errors);
    expect(errors).toEqual([]);
    expect((await a.witness.state(first.origin))?.size).toBeGreaterThan(held);
    const result = await verifyLog(join(dir, 'audit'), {
      verifierKey: first.verifierKey,
      witnesses: { keys: [a.verifierKey] },
    });
    expect(result.state).toBe('anchored');
  });

  it('a witness that is down is reported to onError and never blocks an append; verify then says not witnessed', async () => {
    const dir = await tempDir('writ-witnessing-');
    const keys = generateWitnessKeys('w.test/down');
    const errors: WritError[] = [];
    const sink = await write(
      dir,
      0,
      11,
      [{ url: 'http://127.0.0.1:9', verifierKey: keys.verifierKey }],
      errors,
    );
    expect(sink.size).toBeGreaterThanOrEqual(11);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      details: { reason: 'witness_unreachable' },
    });
    const result = await verifyLog(join(dir, 'audit'), {
      verifierKey: sink.verifierKey,
      witnesses: { keys: [keys.verifierKey], threshold: 1 },
    });
    expect(result).toMatchObject({ ok: false, state: 'failed', firstBadIndex: 0 });
    expect(result.reason).toMatch(/^not witnessed: /);
    expect(result.witnesses).toMatchObject({ ok: false, problem: 'too-few-cosignatures', cosignatures: [] });
  });

  it('sends only the newest checkpoint waiting: a burst of seals costs a few requests, and the last one is cosigned', async () => {
    const dir = await tempDir('writ-witnessing-');
    const first = await write(dir, 0, 0, []);
    const keys = generateWitnessKeys('w.test/burst');
    let requests = 0;
    const w = await createWitness({
      key: keys.signerKey,
      stateDir: join(dir, 'state'),
      logs: [{ origin: first.origin, verifierKey: first.verifierKey }],
      onRequest: () => {
        requests++;
      },
    });
    open.push(w);
    const server = await w.listen();
    const errors: WritError[] = [];
    const sink = await createFileAuditSink({
      dir: join(dir, 'audit'),
      keyDir: join(dir, 'keys'),
      checkpointEvery: 1,
      witnesses: [{ url: server.url, verifierKey: keys.verifierKey }],
      onError: (e) => errors.push(e),
    });
    await Promise.all(
      Array.from({ length: 200 }, (_, n) => sink.append(event(n), { durability: 'batched' })),
    );
    await sink.close?.();
    const published = await readFile(join(dir, 'audit', 'checkpoint'), 'utf8');
    const checkpoints = (await verifyLog(join(dir, 'audit'), { verifierKey: sink.verifierKey })).checkpoints;
    console.log(`${checkpoints} checkpoints sealed, ${requests} add-checkpoint requests`);
    expect(errors).toEqual([]);
    expect(requests).toBeLessThan(checkpoints);
    expect(verifyCosignatures(published, [keys.verifierKey]).ok).toBe(true);
  });
});
