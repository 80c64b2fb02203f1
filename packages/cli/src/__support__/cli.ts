// Test support for the CLI tests. They run the BUILT binary (`node packages/cli/dist/bin.js`) as a
// subprocess, exactly as a user would: build first (`npx turbo run build`). The audit log they inspect is
// a real one, written by the Writ pipeline through the file sink.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import {
  createInMemoryApprovals,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from '@writ/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';

/** The built executable under test. */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/bin.js ...args` (no colour unless `env` asks for it) and collects its output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx turbo run build)`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'FORCE_COLOR' && k !== 'NO_COLOR') env[k] = v;
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? tmpdir(), env: { ...env, ...options.env }, timeout: 20_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
  });
}

export async function tempDir(prefix = 'writ-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Hostile text from an "attacker" that ends up in the log: a report must show it, never run or load it. */
export const HOSTILE_INTENT =
  'Refund order 42 <img src="http://127.0.0.1:9/pixel.png"><script>window.__pwned = 1; fetch("http://127.0.0.1:9/x")</script>';

export interface FixtureLog {
  readonly dir: string;
  readonly logDir: string;
  readonly keyDir: string;
  readonly verifierKey: string;
  readonly tasks: { readonly refund: string; readonly triage: string };
  readonly correlationIds: { readonly refund: string; readonly triage: string };
  /** Every call id, with the verdict a report must show for it. */
  readonly calls: Readonly<Record<string, 'allow' | 'approval' | 'deny' | 'refused'>>;
}

/**
 * A real log: two tasks by two requesters, with an allowed, an approval-required, a denied, a refused
 * (approval refused) and a delegated call.
 */
export async function buildFixtureLog(dir: string): Promise<FixtureLog> {
  const logDir = join(dir, 'audit');
  const keyDir = join(dir, 'keys');
  const audit = await createFileAuditSink({ dir: logDir, keyDir });
  const writ = createWrit({
    service: 'support-desk',
    audit,
    identity: createInMemoryIdentity({
      requesters: { 'tok-alice': { id: 'alice@example.com' }, 'tok-bob': { id: 'bob@example.com' } },
    }),
    credentials: createInMemoryCredentialBroker(),
    approvals: createInMemoryApprovals({
      approver: { kind: 'human', id: 'maria@example.com', assurance: 'verified' },
      approve: (request) => request.call.name !== 'wire_money',
    }),
    policy: createInMemoryPolicy({
      rules: [
        { id: 'reads', effect: 'allow', tool: 'lookup_order' },
        {
          id: 'refunds',
          effect: 'approval_required',
          tool: ['refund_order', 'wire_money'],
          reason: 'needs a human',
        },
        {
          id: 'no-deletes',
          effect: 'deny',
          tool: 'delete_customer',
          reason: 'agents never delete customers',
        },
      ],
    }),
  });
  const tool = (name: string, audience?: string) =>
    writ.tool({
      name,
      audience,
      input: z.object({ id: z.string() }),
      resource: ({ id }) => ({ type: 'Order', id }),
      execute: async () => 'done',
    });
  const lookup = tool('lookup_order');
  const refund = tool('refund_order', 'https://payments.example.com');
  const wire = tool('wire_money');
  const remove = tool('delete_customer');
  const swallow = () => undefined;

  const first = await writ.task(
    { requester: 'tok-alice', agent: 'support', intent: HOSTILE_INTENT, scope: ['*'] },
    async (task) => {
      await lookup.execute({ id: '42' }, { toolCallId: 'call-lookup' });
      await refund.execute({ id: '42' }, { toolCallId: 'call-refund' });
      await writ.delegate({ agent: 'billing', scope: ['*'] }, async () => {
        await remove.execute({ id: 'c7' }, { toolCallId: 'call-delete' }).catch(swallow);
        await wire.execute({ id: 'w1' }, { toolCallId: 'call-wire' }).catch(swallow);
      });
      return task.attribution;
    },
  );
  const second = await writ.task(
    { requester: 'tok-bob', agent: 'triage', intent: 'Check order 7', scope: ['*'] },
    async (task) => {
      await lookup.execute({ id: '7' }, { toolCallId: 'call-triage-lookup' });
      return task.attribution;
    },
  );
  await writ.close();
  return {
    dir,
    logDir,
    keyDir,
    verifierKey: audit.verifierKey,
    tasks: { refund: first.taskId, triage: second.taskId },
    correlationIds: { refund: first.correlationId, triage: second.correlationId },
    calls: {
      'call-lookup': 'allow',
      'call-refund': 'approval',
      'call-delete': 'deny',
      'call-wire': 'refused',
      'call-triage-lookup': 'allow',
    },
  };
}

/** A {@link FixtureLog} and the flags an investigator verifies it with. */
export interface AnchoredFixture {
  readonly fixture: FixtureLog;
  /** `--key <pinned key> --checkpoint <a copy of the published checkpoint, kept outside the log>`. */
  readonly evidence: readonly string[];
}

/**
 * An {@link AnchoredFixture} built before the file's tests (`beforeAll`) and removed after them: read its
 * members inside tests.
 */
export function useAnchoredFixture(): AnchoredFixture {
  let built: AnchoredFixture | undefined;
  beforeAll(async () => {
    built = await buildAnchoredFixture();
  });
  afterAll(async () => {
    if (built !== undefined) await rm(built.fixture.dir, { recursive: true, force: true });
  });
  const get = () => {
    if (built === undefined) throw new Error('the fixture is built in beforeAll: read it inside a test');
    return built;
  };
  return {
    get fixture() {
      return get().fixture;
    },
    get evidence() {
      return get().evidence;
    },
  };
}

/** {@link buildFixtureLog} in a new temporary directory, with a copy of its checkpoint kept as the anchor. */
export async function buildAnchoredFixture(): Promise<AnchoredFixture> {
  const fixture = await buildFixtureLog(await tempDir());
  const anchor = join(fixture.dir, 'anchor.checkpoint');
  await copyFile(join(fixture.logDir, 'checkpoint'), anchor);
  return { fixture, evidence: ['--key', fixture.verifierKey, '--checkpoint', anchor] };
}

/** Copies a log and flips one byte inside record `index` (in its JSON body, so the line still parses). */
export async function tamperedCopy(logDir: string, to: string, index: number): Promise<void> {
  await cp(logDir, to, { recursive: true });
  const segment = join(to, (await readdir(to)).filter((n) => n.endsWith('.jsonl')).sort()[0] as string);
  const lines = (await readFile(segment, 'utf8')).split('\n');
  const line = lines[index];
  if (line === undefined) throw new Error(`no record ${index}`);
  const at = line.indexOf('"service":"support-desk"');
  if (at === -1) throw new Error(`record ${index} has no service field`);
  const bytes = Buffer.from(line, 'utf8');
  const pos = Buffer.byteLength(line.slice(0, at), 'utf8') + '"service":"'.length;
  bytes[pos] = (bytes[pos] as number) ^ 0x20; // 's' → 'S'
  lines[index] = bytes.toString('utf8');
  await writeFile(segment, lines.join('\n'));
}

export interface UnsealedLog {
  readonly logDir: string;
  readonly verifierKey: string;
  /** A copy of the checkpoint the log published before the last task. */
  readonly anchor: string;
  /** The last task: its records are after the last checkpoint (its call is `late`). */
  readonly taskId: string;
  /** Closes the writer (which seals the log). */
  close(): Promise<void>;
}

/**
 * A log still being written: a task sealed by a checkpoint (kept as the anchor), then a task whose
 * records no checkpoint covers yet. Close it when done.
 */
export async function buildUnsealedLog(dir: string): Promise<UnsealedLog> {
  const logDir = join(dir, 'audit');
  const audit = await createFileAuditSink({
    dir: logDir,
    keyDir: join(dir, 'keys'),
    checkpointEvery: 1_000,
    checkpointIntervalMs: 3_600_000,
  });
  const writ = createWrit({
    service: 'support-desk',
    audit,
    identity: createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
    policy: createInMemoryPolicy({ rules: [{ id: 'reads', effect: 'allow', tool: 'lookup_order' }] }),
  });
  const lookup = writ.tool({
    name: 'lookup_order',
    input: z.object({ id: z.string() }),
    execute: async () => 'ok',
  });
  const run = (callId: string) =>
    writ.task({ requester: 'tok-alice', agent: 'support', scope: ['*'] }, async (task) => {
      await lookup.execute({ id: '42' }, { toolCallId: callId });
      return task.attribution.taskId;
    });
  await run('early');
  await audit.checkpoint();
  const anchor = join(dir, 'anchor.checkpoint');
  await copyFile(join(logDir, 'checkpoint'), anchor);
  const taskId = await run('late');
  return { logDir, verifierKey: audit.verifierKey, anchor, taskId, close: () => writ.close() };
}
