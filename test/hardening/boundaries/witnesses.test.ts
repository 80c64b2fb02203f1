// Issue 21 item 5: witnessed checkpoints. A log written by the real pipeline and file sink asks a real
// witness (`writ witness serve`, the BUILT binary, over HTTP on 127.0.0.1) to cosign each checkpoint; an
// insider who holds the log's key then cuts it back, forks it, or republishes an older checkpoint, and
// the witness and `writ verify --witness` must refuse each. Build first (npx turbo run build).
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createFileAuditSink,
  createNoteSigner,
  type FileAuditSink,
  generateWitnessKeys,
  openCheckpoint,
  parseVerifierKey,
  proveConsistency,
} from '@writ/audit';
import type { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import { cutCopy, invoiceClerk } from './evidence-logs.js';

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly verifierKey: string;
  stop(): Promise<number | null>;
}

/** `writ witness serve --port 0 --json`, resolved once it listens (its first JSON line). */
function serveWitness(keyDir: string, logs: readonly string[]): Promise<Served> {
  const args = [BIN, 'witness', 'serve', '--key-dir', keyDir, '--port', '0', '--json'];
  for (const log of logs) args.push('--log', log);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined && !('url' in resolved)) {
        const first = JSON.parse(line) as { url: string; verifierKey: string };
        Object.assign(resolved, first);
        resolve({
          child,
          url: first.url,
          verifierKey: first.verifierKey,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    const resolved = {};
    void exited.then((code) => reject(new Error(`witness exited ${code}: ${err}`)));
  });
}

/** Alice's invoices paid through the real pipeline into a file log sealed every 5 records. */
async function payInvoices(
  logDir: string,
  keyDir: string,
  from: number,
  to: number,
  witnesses: { url: string; verifierKey: string }[] = [],
  errors: WritError[] = [],
): Promise<FileAuditSink> {
  const audit = await createFileAuditSink({
    dir: logDir,
    keyDir,
    checkpointEvery: 5,
    witnesses,
    onError: (e) => errors.push(e),
  });
  const { writ, payAll } = invoiceClerk(audit);
  await payAll(from, to);
  await writ.close();
  return audit;
}

/** What the insider holding the log's key can do: sign a checkpoint of any tree. */
async function insiderSigns(keyDir: string, origin: string, size: number, root: string): Promise<string> {
  const file = (await readdir(keyDir)).find((f) => f.endsWith('.note-key')) as string;
  const signer = createNoteSigner((await readFile(join(keyDir, file), 'utf8')).trim());
  const text = `${origin}\n${size}\n${root}\n`;
  return `${text}\n${signer.sign(text)}`;
}

const post = (url: string, body: string) => fetch(`${url}/add-checkpoint`, { method: 'POST', body });
const sizeOf = (note: string) => Number(note.split('\n')[1]);

let dir: string;
let witnessDir: string;
let served: Served;
let honest: { logDir: string; keyDir: string; origin: string; verifierKey: string };
let early: { note: string; size: number };
let cosignedSize: number;
const writerErrors: WritError[] = [];

beforeAll(async () => {
  dir = await tempDir('writ-witnesses-');
  witnessDir = join(dir, 'witness');
  const keygen = await runCli([
    'witness',
    'keygen',
    '--name',
    'witness.test/w1',
    '--key-dir',
    witnessDir,
    '--json',
  ]);
  expect(keygen.code, keygen.stderr).toBe(0);
  const logDir = join(dir, 'honest', 'audit');
  const keyDir = join(dir, 'honest', 'keys');
  // the log's origin and key exist once it was opened; the witness is configured with them
  const opened = await createFileAuditSink({ dir: logDir, keyDir });
  await opened.close?.();
  honest = { logDir, keyDir, origin: opened.origin, verifierKey: opened.verifierKey };
  served = await serveWitness(witnessDir, [`${honest.origin}=${honest.verifierKey}`]);
  expect(served.verifierKey).toBe(JSON.parse(keygen.stdout).verifierKey);
  expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const witnesses = [{ url: served.url, verifierKey: served.verifierKey }];
  await payInvoices(logDir, keyDir, 0, 3, witnesses, writerErrors);
  early = { note: join(dir, 'early.checkpoint'), size: 0 };
  await copyFile(join(logDir, 'checkpoint'), early.note);
  early.size = sizeOf(await readFile(early.note, 'utf8'));
  await payInvoices(logDir, keyDir, 3, 7, witnesses, writerErrors);
  cosignedSize = sizeOf(await readFile(join(logDir, 'checkpoint'), 'utf8'));
  expect(writerErrors).toEqual([]);
  expect(cosignedSize).toBeGreaterThan(early.size + 10);
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await rm(dir, { recursive: true, force: true });
});

const verify = (logDir: string, ...more: string[]) =>
  runCli(['verify', logDir, '--key', honest.verifierKey, ...more]);

describe('witnessed checkpoints (issue 21 item 5)', () => {
  it(attack(
    'witness-threshold-required',
    'verify --witness-threshold 1 fails on a checkpoint without a cosignature by the given key and passes on one that has it',
  ), async () => {
    const passed = await verify(
      honest.logDir,
      '--witness',
      served.verifierKey,
      '--witness-threshold',
      '1',
      '--json',
    );
    expect(passed.code, passed.stdout).toBe(0);
    const ok = JSON.parse(passed.stdout);
    expect(ok).toMatchObject({ state: 'anchored', anchorSize: cosignedSize });
    expect(ok.witnesses).toMatchObject({ ok: true, threshold: 1, size: cosignedSize, problem: null });
    expect(ok.witnesses.cosignatures).toEqual([expect.objectContaining({ name: 'witness.test/w1' })]);
    const text = await verify(honest.logDir, '--witness', served.verifierKey);
    expect(text.stdout).toContain('witnesses 1 valid cosignature(s), 1 required: witness.test/w1');

    // the same log's checkpoints, never witnessed
    const plain = join(dir, 'plain');
    await payInvoices(join(plain, 'audit'), join(plain, 'keys'), 0, 3);
    const plainKey = JSON.parse(await readFile(join(plain, 'audit', 'log.json'), 'utf8'))
      .verifierKey as string;
    const unwitnessed = await runCli([
      'verify',
      join(plain, 'audit'),
      '--key',
      plainKey,
      '--witness',
      served.verifierKey,
      '--witness-threshold',
      '1',
      '--json',
    ]);
    expect(unwitnessed.code).toBe(1);
    const refused = JSON.parse(unwitnessed.stdout);
    expect(refused).toMatchObject({ ok: false, state: 'failed', firstBadIndex: 0 });
    expect(refused.reason).toMatch(/^not witnessed: /);
    expect(refused.witnesses).toMatchObject({ ok: false, problem: 'too-few-cosignatures', cosignatures: [] });
    // the same check without the requirement: as before, verified but unanchored
    expect((await runCli(['verify', join(plain, 'audit'), '--key', plainKey])).code).toBe(4);

    // a cosignature by a witness not given does not count; k of n
    const other = generateWitnessKeys('witness.test/other').verifierKey;
    expect((await verify(honest.logDir, '--witness', other)).code).toBe(1);
    expect((await verify(honest.logDir, '--witness', other, '--witness', served.verifierKey)).code).toBe(1);
    expect(
      (
        await verify(
          honest.logDir,
          '--witness',
          other,
          '--witness',
          served.verifierKey,
          '--witness-threshold',
          '1',
        )
      ).code,
    ).toBe(0);
    // usage errors: a threshold without keys, more than the keys, a log key given as a witness key
    expect((await verify(honest.logDir, '--witness-threshold', '1')).code).toBe(2);
    expect((await verify(honest.logDir, '--witness', other, '--witness-threshold', '2')).code).toBe(2);
    expect((await verify(honest.logDir, '--witness', honest.verifierKey)).code).toBe(2);
  }, 60_000);

  it(attack(
    'witness-rollback-refused',
    'the key holder cuts the log back to an earlier seal and signs a checkpoint of it: the witness refuses it, verify --witness fails; an older cosigned checkpoint republished over the log fails too',
  ), async () => {
    const cut = join(dir, 'rolled-back');
    await cutCopy(honest.logDir, cut, early.size);
    const root = (await proveConsistency(cut, 0)).newRoot;
    const note = await insiderSigns(honest.keyDir, honest.origin, early.size, root);
    await writeFile(join(cut, 'checkpoint'), note);
    // presented to the witness from the size it holds: a smaller checkpoint is 400
    expect((await post(served.url, `old ${cosignedSize}\n\n${note}`)).status).toBe(400);
    // from any other size: 409 with the size it holds
    for (const old of [early.size, 0]) {
      const conflict = await post(served.url, `old ${old}\n\n${note}`);
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(await conflict.text()).toBe(`${cosignedSize}\n`);
    }
    const refused = await verify(cut, '--witness', served.verifierKey, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ witnesses: { problem: 'too-few-cosignatures' } });
    expect(JSON.parse(refused.stdout).reason).toMatch(/^not witnessed: /);

    // the whole log kept, an older cosigned checkpoint republished: the log was sealed since
    const republished = join(dir, 'republished');
    await cp(honest.logDir, republished, { recursive: true });
    await copyFile(early.note, join(republished, 'checkpoint'));
    const stale = await verify(republished, '--witness', served.verifierKey, '--json');
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({
      firstBadIndex: early.size,
      witnesses: { ok: false, problem: 'not-newest', size: early.size },
    });
  }, 60_000);

  it(attack(
    'witness-fork-refused',
    'a second log of the same origin and key (the key holder rewrites history from an earlier seal) is refused: 409 at the cosigned size, 422 beyond it',
  ), async () => {
    const fork = join(dir, 'fork');
    await cutCopy(honest.logDir, join(fork, 'audit'), early.size);
    await rm(join(fork, 'audit', 'checkpoint'));
    const errors: WritError[] = [];
    // the forked writer asks the same witness, as the honest one does
    await payInvoices(
      join(fork, 'audit'),
      honest.keyDir,
      100,
      112,
      [{ url: served.url, verifierKey: served.verifierKey }],
      errors,
    );
    const forkNote = await readFile(join(fork, 'audit', 'checkpoint'), 'utf8');
    const forkSize = sizeOf(forkNote);
    expect(forkSize).toBeGreaterThan(cosignedSize);
    expect(openCheckpoint(forkNote, [parseVerifierKey(honest.verifierKey)]).origin).toBe(honest.origin);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.details.status)).toContain(422);
    // a larger forked tree with its own proof from the cosigned size: 422
    const proof = await proveConsistency(join(fork, 'audit'), cosignedSize, { newSize: forkSize });
    const beyond = await post(
      served.url,
      `old ${cosignedSize}\n${proof.proof.map((h) => `${h}\n`).join('')}\n${forkNote}`,
    );
    expect(beyond.status).toBe(422);
    // the forked tree at exactly the cosigned size, signed by the key holder: 409
    const sameSize = await insiderSigns(
      honest.keyDir,
      honest.origin,
      cosignedSize,
      (await proveConsistency(join(fork, 'audit'), 0, { newSize: cosignedSize })).newRoot,
    );
    expect((await post(served.url, `old ${cosignedSize}\n\n${sameSize}`)).status).toBe(409);
    const verdict = await verify(join(fork, 'audit'), '--witness', served.verifierKey, '--json');
    expect(verdict.code).toBe(1);
    expect(JSON.parse(verdict.stdout).witnesses).toMatchObject({
      ok: false,
      problem: 'too-few-cosignatures',
    });
  }, 60_000);

  it(attack(
    'witness-state-survives-restart',
    'after writ witness serve is stopped and started again on its state, the rollback is still refused and the honest log goes on being cosigned',
  ), async () => {
    expect(await served.stop()).toBe(0);
    served = await serveWitness(witnessDir, [`${honest.origin}=${honest.verifierKey}`]);
    const cut = join(dir, 'rolled-back');
    const note = await readFile(join(cut, 'checkpoint'), 'utf8');
    const conflict = await post(served.url, `old ${early.size}\n\n${note}`);
    expect(conflict.status).toBe(409);
    expect(await conflict.text()).toBe(`${cosignedSize}\n`);
    // a new writer process knows nothing of the witness: it follows the 409 and proves from there
    const errors: WritError[] = [];
    await payInvoices(
      honest.logDir,
      honest.keyDir,
      7,
      9,
      [{ url: served.url, verifierKey: served.verifierKey }],
      errors,
    );
    expect(errors).toEqual([]);
    const grown = sizeOf(await readFile(join(honest.logDir, 'checkpoint'), 'utf8'));
    expect(grown).toBeGreaterThan(cosignedSize);
    const verdict = await verify(honest.logDir, '--witness', served.verifierKey, '--json');
    expect(verdict.code).toBe(0);
    expect(JSON.parse(verdict.stdout)).toMatchObject({ state: 'anchored', anchorSize: grown });
  }, 60_000);
});
