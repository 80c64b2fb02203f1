// What every scenario is built from: the tool, the components Writ is measured with, and temp dirs.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoteSigner, generateNoteKeys } from '@writ/audit';
import { createLogAppender } from '@writ/audit/internal';
import type {
  AuthorizationRequest,
  Credential,
  Decision,
  Principal,
  TaskOptions,
  Writ,
  WritTool,
} from '@writ/core';
import * as core from '@writ/core';
import { uuidv7 } from '@writ/core/internal';
import {
  type AuditEvent,
  type AuditReceipt,
  type AuditSink,
  type CredentialBroker,
  canonicalJson,
  createCredential,
  type Durability,
  type PolicyEngine,
  resolveSharedContexts,
} from '@writ/core/plugin';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';

/** Arguments of the benchmark tool. */
export interface LookupArgs {
  readonly orderId: string;
}

/** What the benchmark tool returns. */
export interface LookupResult {
  readonly orderId: string;
  readonly status: string;
}

/** The tool's own work: nothing but an async function, so everything measured around it is overhead. */
export async function lookupOrder(args: LookupArgs): Promise<LookupResult> {
  return { orderId: args.orderId, status: 'shipped' };
}

/** The arguments every measured call passes. */
export const ARGS: LookupArgs = Object.freeze({ orderId: 'ord_42' });

const lookupInput = z.object({ orderId: z.string() });

/** A read-only, low-risk tool with an audience (so each call also asks the broker for a credential). */
export type LookupTool = WritTool<typeof lookupInput, Promise<LookupResult>>;

/**
 * The definition of `lookup_order`, for any build of `@writ/core` (`ab-core.ts` loads two). `execute`
 * replaces the tool's body (default: `lookupOrder`).
 */
export function lookupToolDefinition(execute: (args: LookupArgs) => Promise<LookupResult> = lookupOrder) {
  return {
    name: 'lookup_order',
    description: 'Look up an order by id',
    input: lookupInput,
    resource: ({ orderId }: LookupArgs) => ({ type: 'Order', id: orderId }),
    risk: 'low',
    annotations: { readOnly: true },
    audience: 'https://orders.example.com',
    execute: (args: LookupArgs) => execute(args),
  } as const;
}

/**
 * The Writ facts of `lookup_order` as adapter hints (`tools.lookup_order` of any Writ adapter): the same
 * resource, risk, annotations and audience as {@link lookupToolDefinition}, so an adapted call and a direct
 * `writ.tool` call do the same work (the framework validates the input; the adapters take it as parsed).
 */
export const LOOKUP_HINTS = {
  lookup_order: {
    resource: (args: unknown) => ({ type: 'Order', id: (args as LookupArgs).orderId }),
    risk: 'low',
    annotations: { readOnly: true },
    audience: 'https://orders.example.com',
  },
} as const;

/** Defines `lookup_order` on a Writ instance. */
export function defineLookupTool(writ: Writ): LookupTool {
  return writ.tool(lookupToolDefinition());
}

/** The task every Writ call runs in. */
export const TASK: Omit<TaskOptions, 'requester'> = Object.freeze({
  agent: 'support-bot',
  intent: 'Where is order 42?',
  scope: ['*'],
});

/** The requester of core-only tasks: a principal the application vouches for (recorded as asserted). */
export const REQUESTER: Principal = Object.freeze({
  kind: 'human',
  id: 'alice@example.com',
  name: 'Alice',
  assurance: 'asserted',
});

/**
 * An in-memory policy engine that allows everything, keeping nothing. (`createInMemoryPolicy` from
 * `@writ/core/testing` records every request for assertions, which would be a leak by design here.)
 */
export function createAllowAllPolicy(): PolicyEngine {
  return {
    name: 'allow-all',
    deterministic: true,
    async decide(request: AuthorizationRequest): Promise<Decision> {
      return {
        effect: 'allow',
        policyIds: ['bench#allow-all'],
        reasons: [],
        decisionId: uuidv7(),
        engine: 'allow-all',
        evaluatedContext: request,
      };
    },
  };
}

/** Options of {@link createDiscardingSink}. */
export interface DiscardingSinkOptions {
  /**
   * How records are made: `log` (the real log appender of `@writ/audit`: RFC 8785 encoding, leaf hash,
   * chain, Merkle tree, signed checkpoints every 1,000 records, `async` records encoded in a deferred
   * batch, exactly as the file and PostgreSQL sinks do, over a storage that drops the bytes),
   * `canonical` (RFC 8785 and the leaf hash of each record on the caller's path, nothing else) or `json`
   * (`JSON.stringify` and the leaf hash, several times cheaper: for runs that only need the records to
   * be consumed).
   * @default 'log'
   */
  readonly encode?: 'log' | 'canonical' | 'json';
}

/**
 * An audit sink that does what every real sink does to a record (see {@link DiscardingSinkOptions}),
 * then drops it: Writ's own cost with no storage behind it.
 */
export function createDiscardingSink(
  options: DiscardingSinkOptions = {},
): AuditSink & { readonly appended: number } {
  if ((options.encode ?? 'log') === 'log') return discardingLog();
  let index = 0;
  const zero = Buffer.from([0]);
  const encode = options.encode === 'json' ? JSON.stringify : canonicalJson;
  return {
    name: 'discard',
    get appended() {
      return index;
    },
    async append(event: AuditEvent): Promise<AuditReceipt> {
      const line = encode(event);
      const leafHash = createHash('sha256').update(zero).update(line, 'utf8').digest('hex');
      return { log: 'discard', index: index++, leafHash };
    },
  };
}

const DISCARD_ORIGIN = 'bench.writ.local/audit/discard';
const DISCARD_KEYS = generateNoteKeys(DISCARD_ORIGIN);

/** The real log appender over a storage that drops the lines. */
function discardingLog(): AuditSink & { readonly appended: number } {
  const appender = createLogAppender({
    origin: DISCARD_ORIGIN,
    signer: createNoteSigner(DISCARD_KEYS.signerKey),
    storage: { write: async () => {}, sync: async () => {} },
  });
  return {
    name: 'discard',
    origin: DISCARD_ORIGIN,
    get appended() {
      return appender.size;
    },
    append: (event, { durability }) => appender.append(event, durability),
    flush: () => appender.flush(),
    close: () => appender.close(),
  };
}

/**
 * A credential broker that hands out opaque tokens (no signing) and forgets a task's credentials when it
 * ends, so nothing outlives a task. (The testing broker keeps every credential it issued.)
 */
export function createForgetfulBroker(): CredentialBroker {
  const perTask = new Map<string, Map<string, Credential>>();
  const mint = (scope: readonly string[], type: string, audience?: string) =>
    createCredential({
      token: `bench_${uuidv7()}`,
      jti: uuidv7(),
      type,
      audience,
      scope,
      expiresAt: Date.now() + 3_600_000,
    });
  return {
    name: 'forgetful',
    async issueTaskCredential({ attribution }) {
      perTask.set(attribution.taskId, new Map());
      return mint(attribution.scope, 'urn:ietf:params:oauth:token-type:txn_token');
    },
    async credentialFor({ attribution, audience }) {
      const held = perTask.get(attribution.taskId);
      let credential = held?.get(audience);
      if (credential === undefined) {
        credential = mint(attribution.scope, 'urn:ietf:params:oauth:token-type:access_token', audience);
        held?.set(audience, credential);
      }
      return credential;
    },
    async revokeTask(taskId) {
      const held = perTask.get(taskId);
      perTask.delete(taskId);
      return [...(held?.values() ?? [])];
    },
  };
}

/** Temp dirs made by a run, removed together. */
export class TempDirs {
  readonly #dirs: string[] = [];

  async make(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `writ-bench-${label}-`));
    this.#dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    for (const dir of this.#dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** A Writ instance with its tool and the task options its calls run in. */
export interface BenchWrit {
  readonly writ: Writ;
  readonly tool: LookupTool;
  readonly task: TaskOptions;
  /** Runs `body` inside one `writ.task`. */
  inTask<T>(body: () => Promise<T>): Promise<T>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

function benchWrit(writ: Writ, task: TaskOptions, close: () => Promise<void>): BenchWrit {
  return {
    writ,
    tool: defineLookupTool(writ),
    task,
    inTask: (body) => writ.task(task, body),
    flush: () => writ.flush(),
    close,
  };
}

/** Options of {@link createFullWrit}. */
export interface FullWritOptions {
  readonly dir: string;
  readonly durability: Durability;
  /** Replaces the embedded Cedar engine. */
  readonly policy?: PolicyEngine;
}

/**
 * The zero-config runtime from `writ`, in `dir`: local authority (requester token verified at task
 * start, task token minted, per-audience credential per call), the file audit log, embedded Cedar with
 * the shipped policy set unless `policy` is given. Spans go to the globally registered tracer (the
 * zero-config `createWrit` does not accept `telemetry.tracer`).
 */
export async function createFullWrit(
  options: FullWritOptions,
): Promise<BenchWrit & { runtime: WritRuntime }> {
  const runtime = createWrit({
    dir: options.dir,
    durability: options.durability,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  const { localIdentity } = await runtime.ready();
  if (localIdentity === undefined) throw new Error('the zero-config runtime has no local identity');
  const requester = await localIdentity.issueRequesterToken({ sub: 'alice@example.com', ttlSec: 3600 });
  const bench = benchWrit(runtime, { ...TASK, requester }, () => runtime.close());
  return { ...bench, runtime };
}

/**
 * `@writ/core` alone: allow-all policy, the discarding sink, the forgetful broker, async durability,
 * asserted identity. What is left is Writ's pipeline itself.
 */
export function createCoreWrit(
  options: { readonly policy?: PolicyEngine; readonly encode?: DiscardingSinkOptions['encode'] } = {},
): BenchWrit & { readonly sink: ReturnType<typeof createDiscardingSink> } {
  const sink = createDiscardingSink({ encode: options.encode ?? 'log' });
  const writ = core.createWrit({
    policy: options.policy ?? createAllowAllPolicy(),
    audit: sink,
    credentials: createForgetfulBroker(),
    durability: 'async',
  });
  const task: TaskOptions = {
    ...TASK,
    requester: REQUESTER,
  };
  return { ...benchWrit(writ, task, () => writ.close()), sink };
}

/** A call's records as `captureCallEvents` gives them, and their size. */
export interface CallEvents {
  /** The decision and outcome records of a call after the task's first (the decision record refers to the shared context). */
  readonly events: readonly AuditEvent[];
  /** The same records as version 1 wrote them (the whole evaluated context in the decision record). */
  readonly version1: readonly AuditEvent[];
  /** Bytes of the canonical decision record, and of both, for each. */
  readonly bytes: { readonly decision: number; readonly perCall: number };
  readonly version1Bytes: { readonly decision: number; readonly perCall: number };
}

/**
 * The decision and outcome records `@writ/core` writes for the second call of the tool in a task
 * (in-memory policy and credentials), captured on an instance of their own: the evidence every call
 * must produce once its task has written its shared evaluated context; and the same two records in the
 * version-1 shape, for comparison.
 */
export async function captureCallEvents(): Promise<CallEvents> {
  const events: AuditEvent[] = [];
  const sink = createDiscardingSink({ encode: 'canonical' });
  const writ = core.createWrit({
    policy: createAllowAllPolicy(),
    audit: {
      name: 'capture',
      append(event, options) {
        events.push(event);
        return sink.append(event, options);
      },
    },
    credentials: createForgetfulBroker(),
    durability: 'async',
  });
  const bench = benchWrit(writ, { ...TASK, requester: REQUESTER }, () => writ.close());
  try {
    await bench.inTask(async () => {
      await bench.tool.execute(ARGS);
      await bench.tool.execute(ARGS);
    });
  } finally {
    await bench.close();
  }
  const calls = events.filter((e) => e.kind === 'decision' || e.kind === 'outcome');
  if (calls.length !== 4) throw new Error(`expected two decisions and two outcomes, got ${calls.length}`);
  const perCall = calls.slice(2);
  const { records } = resolveSharedContexts(calls.map((record, index) => ({ index, record })));
  const version1 = records.slice(2).map(({ record }) => ({ ...record, v: 1 }) as AuditEvent);
  if (version1.some((e) => e.kind === 'decision' && e.decision.sharedContext !== undefined))
    throw new Error('the version-1 form of the decision record did not resolve');
  const sizes = (pair: readonly AuditEvent[]) => {
    const [decision = 0, outcome = 0] = pair.map((e) => Buffer.byteLength(canonicalJson(e)));
    return { decision, perCall: decision + outcome };
  };
  return { events: perCall, version1, bytes: sizes(perCall), version1Bytes: sizes(version1) };
}

/**
 * The authorization request the zero-config runtime builds for one call of the tool, captured by a
 * pass-through policy engine on an instance of its own in `dir`.
 */
export async function captureRequest(dir: string): Promise<AuthorizationRequest> {
  let captured: AuthorizationRequest | undefined;
  const allow = createAllowAllPolicy();
  const capturing: PolicyEngine = {
    name: 'capture',
    decide(request, options) {
      captured = request;
      return allow.decide(request, options);
    },
  };
  const bench = await createFullWrit({ dir, durability: 'async', policy: capturing });
  try {
    await bench.inTask(() => bench.tool.execute(ARGS));
  } finally {
    await bench.close();
  }
  if (captured === undefined) throw new Error('no authorization request was captured');
  return captured;
}
