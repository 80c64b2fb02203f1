import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../__support__/log.js';
import { formatCheckpoint } from '../checkpoint/checkpoint.js';
import { signNote } from '../checkpoint/signed-note.js';
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { rootOf } from '../merkle/hashing.js';
import { consistencyProof } from '../merkle/proofs.js';
import { formatAddCheckpoint } from './add-checkpoint.js';
import { generateWitnessKeys, verifyCosignatures } from './cosignature.js';
import { createWitness, type Witness, type WitnessEvent } from './witness.js';

const ORIGIN = 'writ.test/audit/witnessed';
const logKey = generateNoteKeys(ORIGIN);
const log = createNoteSigner(logKey.signerKey);
const stranger = createNoteSigner(generateNoteKeys(ORIGIN).signerKey);
const witnessKey = generateWitnessKeys('witness.test/w1');
const leaves = Array.from({ length: 40 }, (_, i) => createHash('sha256').update(`leaf ${i}`).digest());
const forked = leaves.map((h, i) => (i === 7 ? createHash('sha256').update('other').digest() : h));

function note(size: number, tree = leaves, signer = log): string {
  const text = formatCheckpoint({
    origin: ORIGIN,
    size,
    rootHash: rootOf(tree.slice(0, size)),
    extensions: [],
  });
  return signNote(text, [signer]);
}
const body = (oldSize: number, size: number, tree = leaves, signer = log) =>
  formatAddCheckpoint({
    oldSize,
    proof: oldSize === 0 ? [] : consistencyProof(tree, oldSize, size),
    note: note(size, tree, signer),
  });

let open: Witness[] = [];
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
});
async function start(stateDir: string, events: WitnessEvent[] = []): Promise<Witness> {
  const w = await createWitness({
    key: witnessKey.signerKey,
    stateDir,
    logs: [{ origin: ORIGIN, verifierKey: logKey.verifierKey }],
    onRequest: (e) => events.push(e),
  });
  open.push(w);
  return w;
}

describe('createWitness (C2SP tlog-witness add-checkpoint)', () => {
  it('cosigns the first checkpoint from old 0, then only checkpoints consistent with the last one', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    const first = await w.addCheckpoint(body(0, 10));
    expect(first.status).toBe(200);
    expect(verifyCosignatures(note(10) + first.body, [witnessKey.verifierKey]).ok).toBe(true);
    expect(await w.state(ORIGIN)).toMatchObject({ size: 10 });
    const grown = await w.addCheckpoint(body(10, 25));
    expect(grown.status).toBe(200);
    // the same checkpoint again: cosigned afresh
    expect((await w.addCheckpoint(body(25, 25))).status).toBe(200);
  });

  it('answers 409 text/x.tlog.size with the size it holds when old is not that size', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    await w.addCheckpoint(body(0, 10));
    const conflict = await w.addCheckpoint(body(0, 20));
    expect(conflict).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '10\n' });
  });

  it('refuses a rollback: 400 for a checkpoint smaller than old, 409 when old is not what it holds', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    await w.addCheckpoint(body(0, 30));
    const smaller = note(20);
    expect(
      (await w.addCheckpoint(formatAddCheckpoint({ oldSize: 30, proof: [], note: smaller }))).status,
    ).toBe(400);
    expect((await w.addCheckpoint(body(20, 20))).status).toBe(409);
    expect(await w.state(ORIGIN)).toMatchObject({ size: 30 });
  });

  it('refuses a fork: 409 for another root at the size it holds, 422 when the proof does not verify', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    await w.addCheckpoint(body(0, 10));
    expect((await w.addCheckpoint(body(10, 10, forked))).status).toBe(409);
    // a forked tree cannot prove it extends the cosigned one: its own proof fails against the held root
    expect((await w.addCheckpoint(body(10, 30, forked))).status).toBe(422);
    // nor can a proof borrowed from the honest tree
    const borrowed = formatAddCheckpoint({
      oldSize: 10,
      proof: consistencyProof(leaves, 10, 30),
      note: note(30, forked),
    });
    expect((await w.addCheckpoint(borrowed)).status).toBe(422);
    expect(await w.state(ORIGIN)).toMatchObject({
      size: 10,
      root: rootOf(leaves.slice(0, 10)).toString('base64'),
    });
  });

  it('answers 404 for an unknown origin, 403 without a signature by the log key, 400 when malformed', async () => {
    const events: WitnessEvent[] = [];
    const w = await start(join(await tempDir('writ-witness-'), 'state'), events);
    const other = formatCheckpoint({
      origin: 'elsewhere/log',
      size: 1,
      rootHash: rootOf(leaves.slice(0, 1)),
      extensions: [],
    });
    expect((await w.addCheckpoint(`old 0\n\n${signNote(other, [log])}`)).status).toBe(404);
    expect((await w.addCheckpoint(body(0, 10, leaves, stranger))).status).toBe(403);
    for (const bad of [
      '',
      'old 01\n\n',
      'old 0\nnot-a-hash\n\nx',
      `new 0\n\n${note(1)}`,
      'old 0\n\nnot a note',
    ]) {
      expect((await w.addCheckpoint(bad)).status, bad).toBe(400);
    }
    expect(events.map((e) => e.status)).toEqual([404, 403, 400, 400, 400, 400, 400]);
  });

  it('keeps its state across a restart, and a second witness cannot take its state directory', async () => {
    const stateDir = join(await tempDir('writ-witness-'), 'state');
    const w = await start(stateDir);
    await w.addCheckpoint(body(0, 12));
    await expect(start(stateDir)).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
    await w.close();
    const again = await start(stateDir);
    expect(await again.addCheckpoint(body(0, 20))).toMatchObject({ status: 409, body: '12\n' });
    expect((await again.addCheckpoint(body(12, 20))).status).toBe(200);
  });

  it('answers concurrent requests for one log one at a time: two from the same old size cannot both win', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    await w.addCheckpoint(body(0, 10));
    const answers = await Promise.all([w.addCheckpoint(body(10, 30)), w.addCheckpoint(body(10, 20))]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await w.state(ORIGIN)).toMatchObject({ size: 30 });
  });

  it('serves POST /add-checkpoint over HTTP on 127.0.0.1', async () => {
    const w = await start(join(await tempDir('writ-witness-'), 'state'));
    const server = await w.listen();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const post = (text: string) => fetch(`${server.url}/add-checkpoint`, { method: 'POST', body: text });
    const ok = await post(body(0, 10));
    expect(ok.status).toBe(200);
    expect((await ok.text()).startsWith('— witness.test/w1 ')).toBe(true);
    const conflict = await post(body(0, 10));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await conflict.text()).toBe('10\n');
    expect((await fetch(`${server.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${server.url}/other`, { method: 'POST', body: '' })).status).toBe(404);
    expect((await post('x'.repeat(70_000))).status).toBe(413);
  });

  it('refuses bad options with WRIT_OPTIONS_INVALID', async () => {
    const stateDir = join(await tempDir('writ-witness-'), 'state');
    await expect(
      createWitness({ stateDir, logs: [{ origin: ORIGIN, verifierKey: logKey.verifierKey }] }),
    ).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(
      createWitness({ key: witnessKey.signerKey, stateDir, logs: [{ origin: ORIGIN, verifierKey: 'nope' }] }),
    ).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
    await expect(
      createWitness({
        key: logKey.signerKey,
        stateDir,
        logs: [{ origin: ORIGIN, verifierKey: logKey.verifierKey }],
      }),
    ).rejects.toMatchObject({ code: 'WRIT_OPTIONS_INVALID' });
  });
});
