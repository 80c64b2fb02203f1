import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, useTempDir } from '../__support__/log.js';
import { createFileAuditSink } from '../file/file-sink.js';
import { createLogAppender } from '../log-appender.js';
import { verifyLog } from '../verify/verify-log.js';
import { createRemoteNoteSigner } from './remote-signer.js';
import { openCheckpoint } from './signed-checkpoint.js';
import { parseVerifierKey } from './verifier-key.js';

// A fake remote signer (a KMS stand-in) over real HTTP on 127.0.0.1: POST /sign with the message bytes,
// answers the raw Ed25519 signature 5 ms later, so that signing is slow and overlaps with appends.
let server: Server;
let url: string;
let requests = 0;
let garble = false;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const kmsKey: KeyObject = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      const signature = sign(null, Buffer.concat(chunks), kmsKey);
      if (garble) signature[0] = (signature[0] ?? 0) ^ 0xff;
      setTimeout(() => res.end(signature), 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let dir: string;
useTempDir('writ-remote-signer-', (path) => {
  dir = path;
});

const remote = (name: string) =>
  createRemoteNoteSigner({
    name,
    publicKey,
    sign: async (message) => {
      const res = await fetch(url, { method: 'POST', body: message });
      if (!res.ok) throw new Error(`signer answered ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  });

describe('a remote (asynchronous) checkpoint signer', () => {
  it('seals a file log written concurrently: every checkpoint record sits at the size it signs, and the log verifies', async () => {
    const signer = remote('writ/audit/remote');
    const before = requests;
    const sink = await createFileAuditSink({ dir: join(dir, 'audit'), signer, checkpointEvery: 10 });
    expect(sink.verifierKey).toBe(signer.verifierKey);
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let k = 0; k < 25; k++) {
          await sink.append(event(worker * 100 + k), { durability: k % 2 === 0 ? 'strict' : 'batched' });
        }
      }),
    );
    await sink.close?.();
    expect(requests - before).toBeGreaterThanOrEqual(2 * 20); // two signatures per checkpoint, all remote
    const result = await verifyLog(sink.dir, { verifierKey: signer.verifierKey, deep: true });
    expect(result).toMatchObject({ ok: true, records: 200 + result.checkpoints });
    expect(result.checkpoints).toBeGreaterThanOrEqual(20);
    expect(result.sealed).toBe(result.records - 1);
  });

  it('holds appends back while it signs: an append made during a checkpoint lands after the checkpoint record', async () => {
    const signer = remote('writ/audit/held');
    const lines: string[] = [];
    const appender = createLogAppender({
      origin: 'writ/audit/held',
      signer,
      storage: { write: async (batch) => void lines.push(...batch), sync: async () => undefined },
    });
    await appender.append(event(0), 'strict');
    const checkpoint = appender.checkpoint();
    const during = await appender.append(event(1), 'strict');
    const note = await checkpoint;
    expect(openCheckpoint(note, [parseVerifierKey(signer.verifierKey)]).size).toBe(1);
    expect(during.index).toBe(2);
    expect(lines.map((l) => (JSON.parse(l) as { r: { kind: string } }).r.kind)).toEqual([
      'task-end',
      'checkpoint',
      'task-end',
    ]);
    await appender.close();
  });

  it('fails closed on a signature that does not verify with its public key (a wrong or broken KMS answer)', async () => {
    const signer = remote('writ/audit/garbled');
    garble = true;
    try {
      const error = await Promise.resolve(signer.sign('writ/audit/garbled\n1\nAAAA\n')).catch(
        (e: unknown) => e,
      );
      expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
      expect((error as WritError).details).toEqual({ reason: 'signer_failed' });
    } finally {
      garble = false;
    }
    expect(() =>
      createRemoteNoteSigner({ name: 'bad name', publicKey, sign: async () => new Uint8Array() }),
    ).toThrow(/options\.name/);
    expect(() =>
      createRemoteNoteSigner({ name: 'ok', publicKey: privateKey, sign: async () => new Uint8Array() }),
    ).toThrow(/options\.publicKey/);
  });
});
