// Test support for the fault suite (issue 9, items 2 and 3): a zero-config Writ (`createWrit` from `writ`:
// local authority, strict file log) with one tool that reports every run on a side channel, helpers that
// read the log back and verify it, a deadline that proves a call settled, an HTTP fault proxy to put in
// front of a real PDP, and a tiny tmpfs to fill up or make read-only.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLines, type VerifyResult, verifyLog } from '@writ/audit';
import { expect } from 'vitest';
import { type CreateWritOptions, createWrit, WritError, type WritErrorCode, type WritRuntime } from 'writ';
import { z } from 'zod';

/** Longest any call may take before the suite calls it a hang (far above every configured deadline). */
export const SAFETY_MS = 15_000;

/** How a call ended. */
export type Settled =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Awaits `promise`, failing the test if it has not settled within {@link SAFETY_MS} (no timing beyond that). */
export async function settle(promise: Promise<unknown>, safetyMs = SAFETY_MS): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), safetyMs);
  });
  const outcome = await Promise.race([
    promise.then(
      (value): Settled => ({ ok: true, value }),
      (error: unknown): Settled => ({ ok: false, error }),
    ),
    hang,
  ]);
  clearTimeout(timer);
  if (outcome === 'hang') throw new Error(`the call did not settle within ${safetyMs} ms`);
  return outcome;
}

/** The fields of a stored record the suite reads. */
export interface StoredRecord {
  readonly kind: string;
  readonly taskId?: string;
  readonly status?: string;
  readonly call?: { readonly id: string; readonly name: string; readonly resource?: { readonly id: string } };
  readonly decision?: {
    readonly effect: string;
    readonly engine: string;
    readonly reasons: readonly string[];
    readonly policyIds: readonly string[];
    readonly errors?: readonly string[];
  };
  readonly refusal?: {
    readonly code: string;
    readonly message: string;
    readonly details?: Record<string, unknown>;
  };
  readonly outcome?: { readonly status: string; readonly errorCode?: string };
  readonly note?: string;
}

/** A record with its index in the log. */
export interface IndexedRecord {
  readonly index: number;
  readonly r: StoredRecord;
}

/** Every record of the file log in `auditDir`, read back the way an investigator would. */
export async function readRecords(auditDir: string): Promise<IndexedRecord[]> {
  const out: IndexedRecord[] = [];
  for await (const line of readLines(auditDir)) {
    if (!line.complete) continue;
    const envelope = JSON.parse(line.bytes.toString()) as { i: number; r: StoredRecord };
    out.push({ index: envelope.i, r: envelope.r });
  }
  return out;
}

/** Options of {@link startHarness}. */
export type HarnessOptions = CreateWritOptions & {
  /** Where `.writ` lives. @default a fresh temp dir, removed by `dispose()` */
  dir?: string;
  /** Issue a local requester token for alice (needs the embedded components to start). @default true */
  requester?: boolean;
  /** Reads the log back, when it is not the embedded file log (e.g. PostgreSQL). */
  readRecords?: () => Promise<IndexedRecord[]>;
};

/** A zero-config Writ with one tool (`lookup_order`, low risk, read-only) and a side channel of its runs. */
export interface Harness {
  readonly writ: WritRuntime;
  readonly dir: string;
  readonly auditDir: string;
  /** Order ids the tool actually ran for (the side channel). */
  readonly ran: string[];
  /** Call ids the tool actually ran for. */
  readonly ranCalls: string[];
  /** What Writ reported through `onError` (records it could not write after the fact). */
  readonly reported: WritError[];
  /** Runs `lookup_order({ orderId })` inside a task of agent `support-bot`; settles or fails the test. */
  call(orderId: string): Promise<Settled>;
  /** Runs `lookup_order` inside the current task (no new task). */
  callInTask(orderId: string): Promise<Settled>;
  /** Runs `fn` inside a task. */
  task<T>(fn: () => Promise<T>): Promise<T>;
  records(): Promise<IndexedRecord[]>;
  /** Closes the Writ and verifies its log with the pinned key (`deep`), optionally against a checkpoint. */
  closeAndVerify(checkpoint?: string): Promise<VerifyResult>;
  verify(checkpoint?: string): Promise<VerifyResult>;
  /** The verifier key of the log (from the embedded file sink). */
  verifierKey(): Promise<string>;
  /** Removes the temp dir it created (not a given `dir`). */
  dispose(): Promise<void>;
}

/** Starts a zero-config Writ (`createWrit` from `writ`) in a temp dir, with the given components or settings. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { dir: given, requester = true, readRecords: reader, ...rest } = options;
  const dir = given ?? (await mkdtemp(join(tmpdir(), 'writ-faults-')));
  const reported: WritError[] = [];
  const writ = createWrit({
    dir,
    service: 'faults',
    onError: (error) => {
      reported.push(error);
    },
    ...rest,
  });
  const ran: string[] = [];
  const ranCalls: string[] = [];
  const lookup = writ.tool({
    name: 'lookup_order',
    description: 'Looks an order up',
    permission: 'orders:read',
    risk: 'low',
    annotations: { readOnly: true },
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    execute: async ({ orderId }, ctx) => {
      ran.push(orderId);
      ranCalls.push(ctx.call.id);
      return { orderId, total: 120 };
    },
  });
  let token: string | undefined;
  if (requester) {
    const { localIdentity } = await writ.ready();
    token = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  }
  const taskOptions = () => ({
    ...(token === undefined ? {} : { requester: token }),
    agent: 'support-bot',
    intent: 'Look orders up',
    scope: ['orders:*'],
  });
  const auditDir = join(dir, 'audit');
  const verifierKey = async () => {
    const { fileAudit } = await writ.ready();
    if (fileAudit === undefined) throw new Error('the harness is not using the embedded file log');
    return fileAudit.verifierKey;
  };
  const verify = async (checkpoint?: string) =>
    verifyLog(auditDir, {
      verifierKey: await verifierKey(),
      deep: true,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
  return {
    writ,
    dir,
    auditDir,
    ran,
    ranCalls,
    reported,
    call: (orderId) => settle(writ.task(taskOptions(), () => lookup.execute({ orderId }))),
    callInTask: (orderId) => settle(lookup.execute({ orderId })),
    task: (fn) => writ.task(taskOptions(), fn),
    records: reader ?? (() => readRecords(auditDir)),
    verify,
    verifierKey,
    async closeAndVerify(checkpoint) {
      const key = await verifierKey();
      await writ.close();
      return verifyLog(auditDir, {
        verifierKey: key,
        deep: true,
        ...(checkpoint === undefined ? {} : { checkpoint }),
      });
    },
    async dispose() {
      if (given === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What {@link expectFailedClosed} checks about the recorded fault. */
export interface FailClosedExpectation {
  /** The refusal's code. */
  readonly code: WritErrorCode;
  /** A text the recorded fault (decision.errors) must mention. */
  readonly fault?: RegExp | string;
  /** The engine named in the decision record. */
  readonly engine?: string;
}

/**
 * Asserts the whole fail-closed contract for one call on `orderId`: refused with a typed WritError, the
 * tool never ran, exactly one decision record (deny, carrying the fault in `decision.errors` and the
 * refusal with the same code) and a `refused` outcome record follow in the log.
 */
export async function expectFailedClosed(
  h: Harness,
  orderId: string,
  outcome: Settled,
  expected: FailClosedExpectation,
): Promise<StoredRecord> {
  expect(outcome.ok, `call ${orderId} should have been refused`).toBe(false);
  const error = (outcome as { error: unknown }).error;
  expect(
    WritError.isInstance(error, expected.code),
    `expected ${expected.code}, got ${(error as WritError)?.code}: ${(error as Error)?.message}`,
  ).toBe(true);
  expect(h.ran).not.toContain(orderId);
  const all = await h.records();
  const decisions = all.filter((e) => e.r.kind === 'decision' && e.r.call?.resource?.id === orderId);
  expect(decisions).toHaveLength(1);
  const decision = decisions[0]?.r as StoredRecord;
  expect(decision.decision?.effect).toBe('deny');
  if (expected.engine !== undefined) expect(decision.decision?.engine).toBe(expected.engine);
  expect(decision.refusal?.code).toBe(expected.code);
  expect(decision.decision?.errors?.length ?? 0, 'the fault is in decision.errors').toBeGreaterThan(0);
  if (expected.fault !== undefined) {
    const text = (decision.decision?.errors ?? []).join('\n');
    if (typeof expected.fault === 'string') expect(text).toContain(expected.fault);
    else expect(text).toMatch(expected.fault);
  }
  const outcomes = all.filter((e) => e.r.kind === 'outcome' && e.r.call?.id === decision.call?.id);
  expect(outcomes.map((e) => e.r.outcome)).toEqual([
    { status: 'refused', errorCode: expected.code, durationMs: expect.any(Number) },
  ]);
  expect((outcomes[0]?.index ?? -1) > (decisions[0]?.index ?? 0)).toBe(true);
  return decision;
}

/** Asserts that `orderId` ran once, after its allow decision record. */
export async function expectRan(h: Harness, orderId: string, outcome: Settled): Promise<void> {
  expect(outcome.ok, `call ${orderId}: ${(outcome as { error?: Error }).error?.message}`).toBe(true);
  expect(h.ran.filter((id) => id === orderId)).toHaveLength(1);
  const all = await h.records();
  const decisions = all.filter((e) => e.r.kind === 'decision' && e.r.call?.resource?.id === orderId);
  expect(decisions.map((e) => e.r.decision?.effect)).toEqual(['allow']);
  const callId = decisions[0]?.r.call?.id;
  expect(h.ranCalls).toContain(callId);
  const outcomes = all.filter((e) => e.r.kind === 'outcome' && e.r.call?.id === callId);
  expect(outcomes.map((e) => e.r.outcome?.status)).toEqual(['ok']);
  expect((outcomes[0]?.index ?? -1) > (decisions[0]?.index ?? 0)).toBe(true);
}

/**
 * Every execution seen on the side channel has an allow decision record for its call id earlier in the
 * log (the strict-durability promise). Returns the number of executions checked.
 */
export function expectEveryRunRecorded(
  ranCalls: readonly string[],
  records: readonly IndexedRecord[],
): number {
  const allowed = new Set(
    records
      .filter((e) => e.r.kind === 'decision' && e.r.decision?.effect === 'allow' && e.r.refusal === undefined)
      .map((e) => e.r.call?.id),
  );
  const missing = ranCalls.filter((id) => !allowed.has(id));
  expect(missing, 'tool executions without a decision record').toEqual([]);
  return ranCalls.length;
}

// ---------------------------------------------------------------------------------------------------------
// An HTTP proxy in front of a real PDP that corrupts its evaluation answers on demand.

/** What the proxy does to the next evaluation answers. */
export type ProxyFault =
  /** Forward unchanged. */
  | { readonly kind: 'pass' }
  /** Let the PDP evaluate, then answer this status and body instead. */
  | { readonly kind: 'status'; readonly status: number; readonly body: string; readonly contentType?: string }
  /** Let the PDP evaluate, then answer 200 with these bytes instead. */
  | { readonly kind: 'replace'; readonly body: string; readonly contentType?: string }
  /** Let the PDP evaluate, then rewrite its JSON answer. */
  | { readonly kind: 'rewrite'; readonly rewrite: (answer: unknown) => unknown }
  /** Send the PDP's status and headers and half of its body, then cut the connection. */
  | { readonly kind: 'truncate' }
  /** Let the PDP evaluate, then cut the connection without answering. */
  | { readonly kind: 'reset' };

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Evaluations the PDP answered through the proxy. */
  evaluated(): number;
  set(fault: ProxyFault): void;
  close(): Promise<void>;
}

interface Upstream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function forward(target: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) {
  return new Promise<Upstream>((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method, path, headers: { ...headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts a proxy to `target` that forwards everything, and applies the current {@link ProxyFault} to
 * answers of `POST …/evaluation(s)` (AuthZEN) and `POST /v1/data/…` (OPA) after the PDP has evaluated.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let fault: ProxyFault = { kind: 'pass' };
  let evaluated = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const isEvaluation =
        req.method === 'POST' && /\/(evaluations?|v1\/data\/.*)$/.test(path.split('?')[0] ?? '');
      const current = isEvaluation ? fault : ({ kind: 'pass' } as const);
      forward(upstream, req.method ?? 'GET', path, req.headers, Buffer.concat(chunks)).then(
        (answer) => {
          if (isEvaluation) evaluated++;
          const passHeaders = { 'content-type': answer.headers['content-type'] ?? 'application/json' };
          switch (current.kind) {
            case 'pass':
              res.writeHead(answer.status, passHeaders).end(answer.body);
              return;
            case 'status':
              res.writeHead(current.status, { 'content-type': current.contentType ?? 'application/json' });
              res.end(current.body);
              return;
            case 'replace':
              res.writeHead(200, { 'content-type': current.contentType ?? 'application/json' });
              res.end(current.body);
              return;
            case 'rewrite': {
              const text = JSON.stringify(current.rewrite(JSON.parse(answer.body.toString('utf8'))));
              res.writeHead(200, { 'content-type': 'application/json' }).end(text);
              return;
            }
            case 'truncate':
              res.writeHead(answer.status, { ...passHeaders, 'content-length': String(answer.body.length) });
              res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => {
                res.socket?.destroy();
              });
              return;
            case 'reset':
              res.socket?.destroy();
              return;
          }
        },
        () => {
          res.socket?.destroy();
        },
      );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    evaluated: () => evaluated,
    set(next) {
      fault = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// A real, tiny filesystem: tmpfs mounted in a temp dir (needs CAP_SYS_ADMIN; the suite runs as root).

/** A mounted tmpfs. */
export interface Tmpfs {
  readonly dir: string;
  /** Writes a filler file until the filesystem refuses with ENOSPC; returns the bytes it took. */
  fill(): Promise<number>;
  /** Deletes the filler: the disk has room again. */
  unfill(): Promise<void>;
  /** `mount -o remount,ro` (refused by the kernel while a file on it is open for writing). */
  readOnly(): void;
  /** `mount -o remount,rw`. */
  readWrite(): void;
  /** Bind-mounts `path` (a directory on this tmpfs) over itself read-only: new opens there fail with EROFS. */
  overmountReadOnly(path: string): () => void;
  /** Unmounts and removes the mount point. */
  close(): Promise<void>;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });

/** Why a tmpfs cannot be mounted here, or `undefined` when it can. */
export async function tmpfsUnavailable(): Promise<string | undefined> {
  const probe = await mkdtemp(join(tmpdir(), 'writ-tmpfs-probe-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    run('umount', [probe]);
    return undefined;
  } catch (error) {
    return `mount -t tmpfs is not permitted here: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `sizeBytes` (rounded to pages by the kernel) on a fresh temp dir. */
export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'writ-tmpfs-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler.bin');
  const overmounts: string[] = [];
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      let written = 0;
      try {
        for (const size of [65_536, 4_096, 512, 1]) {
          const chunk = Buffer.alloc(size, 0x5a);
          for (;;) {
            try {
              written += (await handle.write(chunk)).bytesWritten;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
              break;
            }
          }
        }
      } finally {
        await handle.close();
      }
      return written;
    },
    async unfill() {
      await unlink(filler).catch(() => undefined);
    },
    readOnly: () => run('mount', ['-o', 'remount,ro', dir]),
    readWrite: () => run('mount', ['-o', 'remount,rw', dir]),
    overmountReadOnly(path) {
      run('mount', ['--bind', path, path]);
      run('mount', ['-o', 'remount,ro,bind', path]);
      overmounts.push(path);
      return () => {
        const at = overmounts.lastIndexOf(path);
        if (at >= 0) {
          overmounts.splice(at, 1);
          run('umount', [path]);
        }
      };
    },
    async close() {
      for (const path of overmounts.splice(0).reverse()) {
        try {
          run('umount', [path]);
        } catch {
          // already gone
        }
      }
      try {
        run('umount', ['-l', dir]);
      } catch {
        // already unmounted
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
