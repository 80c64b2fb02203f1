// Shared support of the hostile identity suite (issue 9, item 1, and the credential half of item 7): the
// shape of a hostile case, a zero-config Writ harness whose tool reports every run on a side channel, a
// watch over every byte telemetry emits, the evidence a refusal must leave (typed code, tool never ran,
// refusal audited, log verifies, the token nowhere in records, spans, diagnostics or errors), and the
// tally each file asserts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { readLines, verifyLog } from '@writ/audit';
import { listSegments } from '@writ/audit/internal';
import { WritError, type WritErrorCode } from '@writ/core';
import { resolveSharedContexts } from '@writ/core/plugin';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { expect, it } from 'vitest';
import { type CreateWritOptions, createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';

/** A stored audit record (the `r` of a log line), read back from JSON and checked field by field. */
// biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
export type LogRecord = Record<string, any>;

/**
 * One hostile input. `input` builds it (a token, a bundle) from the running fixture (keys, issuers); `code` is the
 * `WritError` code the public entry must refuse it with and `reason` the `details.reason` that says the
 * refusal happened for this case's own reason (not for an unrelated one). `bug` marks a case that
 * documents a real defect: it runs as `it.fails` and the text names the bug.
 */
export interface HostileCase<Ctx> {
  readonly name: string;
  readonly code: WritErrorCode;
  readonly reason?: string | undefined;
  /** The refusal message, where no `reason` tells the cases apart. */
  readonly message?: RegExp | undefined;
  readonly input: (ctx: Ctx) => string | Promise<string>;
  readonly bug?: string | undefined;
  /** What the known bug does with this case: the refusal is not recorded, or the input is accepted. */
  readonly bugOutcome?: 'lost' | 'accepted' | undefined;
}

/**
 * Registers one case: `it` for a case that must be refused with evidence, `it.fails` for a case that
 * documents a known bug (its title says so; the case's `bug` text names the defect).
 */
export function caseTest<Ctx>(c: HostileCase<Ctx>, prefix: string, body: () => Promise<void>): void {
  const title = `${prefix}${c.name} → ${c.code}${c.reason ? ` (${c.reason})` : ''}`;
  if (c.bug === undefined) it(title, body);
  else it.fails(`${title} [KNOWN BUG, it.fails: ${c.bug}]`, body);
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/** A zero-config Writ in its own temp dir, with one tool that pushes every run to `ran`. */
export interface Harness {
  readonly dir: string;
  readonly writ: WritRuntime;
  /** Side channel: every execution of the tool, in order. */
  readonly ran: string[];
  /** What Writ reported through `onError` (telemetry and audit problems it does not throw). */
  readonly reported: WritError[];
  /** `lookup_order` (orders:read, read-only, low risk): allowed by the shipped Cedar policy. */
  lookup(orderId: string): Promise<unknown>;
  /** The log's pinned verifier key (read before close). */
  verifierKey(): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

/**
 * Creates a zero-config Writ (`createWrit({ dir })` from `writ`) plus `options` (or what `options(dir)`
 * returns, for components that live in the same directory), and its side-channel tool.
 */
export async function createHarness(
  options: Omit<CreateWritOptions, 'dir'> | ((dir: string) => Promise<Omit<CreateWritOptions, 'dir'>>) = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'writ-hostile-id-'));
  const extra = typeof options === 'function' ? await options(dir) : options;
  const reported: WritError[] = [];
  const writ = createWrit({
    dir,
    service: 'hostile-identity',
    onError: (error) => reported.push(error),
    ...extra,
  });
  const ran: string[] = [];
  const tool = writ.tool({
    name: 'lookup_order',
    permission: 'orders:read',
    annotations: { readOnly: true },
    risk: 'low',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    execute: async ({ orderId }) => {
      ran.push(orderId);
      return { orderId, status: 'shipped' };
    },
  });
  return {
    dir,
    writ,
    ran,
    reported,
    lookup: (orderId) => tool.execute({ orderId }),
    verifierKey: async () => (await writ.ready()).fileAudit?.verifierKey,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every record of a Writ log directory (checkpoints excluded). */
export async function readRecords(auditDir: string): Promise<LogRecord[]> {
  const stored: { index: number; record: LogRecord }[] = [];
  for await (const line of readLines(auditDir)) {
    const record = JSON.parse(line.bytes.toString()).r as LogRecord;
    if (record.kind !== 'checkpoint') stored.push({ index: stored.length, record });
  }
  // decision records as an investigator reads them: the evaluated context resolved from its task's record
  const { records, findings } = resolveSharedContexts(stored);
  if (findings.length > 0) throw new Error(`record ${findings[0]?.index}: ${findings[0]?.message}`);
  return records.map((r) => r.record);
}

/** Every byte of a log directory's segments, as text (to check what a record leaked). */
export async function logText(auditDir: string): Promise<string> {
  const segments = await listSegments(auditDir);
  const texts = await Promise.all(segments.map((s) => readFile(s.path, 'utf8')));
  return texts.join('\n');
}

/**
 * Everything telemetry emits while it runs: finished spans (names, attributes, events, status, links),
 * OpenTelemetry diagnostics, as text to scan. `start()` registers a real in-memory tracer provider.
 */
export class LeakWatch {
  #tracing: TestTracing | undefined;
  readonly #diag: string[] = [];

  start(): void {
    this.#tracing = startTestTracing();
    const log =
      (level: string) =>
      (...args: unknown[]) =>
        this.#diag.push(
          `${level} ${args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 8 }))).join(' ')}`,
        );
    diag.setLogger(
      {
        error: log('error'),
        warn: log('warn'),
        info: log('info'),
        debug: log('debug'),
        verbose: log('verbose'),
      },
      { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true },
    );
  }

  async stop(): Promise<void> {
    diag.disable();
    await this.#tracing?.shutdown();
    this.#tracing = undefined;
  }

  /** Forgets what was emitted so far (call before each attempt). */
  reset(): void {
    this.#tracing?.exporter.reset();
    this.#diag.length = 0;
  }

  /** Number of finished spans (to show the watch saw something). */
  spanCount(): number {
    return this.#tracing?.spans().length ?? 0;
  }

  /** Every emitted byte so far, as text. */
  emitted(): string {
    const spans = (this.#tracing?.spans() ?? []).map((s) => ({
      name: s.name,
      kind: s.kind,
      attributes: s.attributes,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      status: s.status,
      links: s.links.map((l) => l.attributes),
    }));
    return `${JSON.stringify(spans)}\n${this.#diag.join('\n')}`;
  }
}

/**
 * The parts of a token that would identify it if they leaked: the token, and its payload and signature
 * segments when they are long enough to be its own (a shared header segment is not a secret).
 */
export function secretsOf(token: string | undefined): string[] {
  if (token === undefined || token.length === 0) return [];
  const parts = token.split('.');
  const segments = parts.length === 3 ? [parts[1], parts[2]] : [];
  return [token, ...segments.filter((p): p is string => p !== undefined && p.length >= 16)];
}

/** Asserts that none of `needles` occurs in any of `haystacks` (labelled, without printing the text). */
export function expectAbsent(haystacks: Record<string, string>, needles: readonly string[]): void {
  for (const [where, text] of Object.entries(haystacks)) {
    for (const needle of needles) {
      expect(
        text.includes(needle),
        `${JSON.stringify(needle.slice(0, 40))}… must not appear in ${where}`,
      ).toBe(false);
    }
  }
}

/** Values the hostile tokens carry that a refusal must never copy into the evidence. */
export const ATTACKER_MARKERS = ['mallory', 'attacker.example', 'attacker-kid'] as const;

/** What a refused attempt left behind. */
export interface Evidence {
  readonly error: unknown;
  /** Runs of the tool (side channel). */
  readonly ran: readonly string[];
  /** Whether the task function (or the MCP handler body) was entered at all. */
  readonly entered: boolean;
  readonly records: readonly LogRecord[];
  readonly verified: Awaited<ReturnType<typeof verifyLog>>;
  /** The log, as text. */
  readonly text: string;
  /** What telemetry emitted during the attempt (spans, diagnostics) and what Writ reported via onError. */
  readonly emitted: string;
  /** The refusal as a logger would print it (`util.inspect`, causes included). */
  readonly errorText: string;
  /** The task credential's token, when the task started (a genuine credential: must not leak either). */
  readonly credential: string | undefined;
}

/**
 * Drives `writ.task({ requester?, agent, correlationId, intent }, fn)` where `fn` calls the tool, closes
 * the Writ instance (checkpointing the log) and gathers the evidence.
 */
export async function attemptTask(
  h: Harness,
  options: { requester?: string; agent: string; correlationId: string },
  watch?: LeakWatch,
): Promise<Evidence> {
  let entered = false;
  let credential: string | undefined;
  const verifierKey = await h.verifierKey();
  watch?.reset();
  const error = await h.writ
    .task(
      {
        ...(options.requester === undefined ? {} : { requester: options.requester }),
        agent: options.agent,
        scope: ['orders:*'],
        correlationId: options.correlationId,
        intent: 'Where is order 42?',
      },
      async (task) => {
        entered = true;
        credential = task.credential?.token;
        await h.lookup('42');
      },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  await h.writ.close();
  const auditDir = join(h.dir, 'audit');
  return {
    error,
    ran: [...h.ran],
    entered,
    records: await readRecords(auditDir),
    verified: await verifyLog(auditDir, { verifierKey, deep: true }),
    text: await logText(auditDir),
    emitted: `${watch?.emitted() ?? ''}\n${inspect(h.reported, { depth: 8 })}`,
    errorText: error === undefined ? '' : inspect(error, { depth: 8 }),
    credential,
  };
}

/** What one case proved, for the tally. */
export interface Observation {
  /** Refused with the expected code. */
  readonly typed: boolean;
  /** The tool (or the task body) ran. */
  readonly ran: boolean;
  /** The refusal is in the log with its code. */
  readonly audited: boolean;
  /** When it ran: the run has its decision record. */
  readonly runRecorded: boolean;
  readonly verified: boolean;
}

/**
 * Counts per table. Every case lands in exactly one bucket: `refused` (typed code, never ran, refusal
 * audited, log verifies), `mistyped` (refused and audited, but with another code or a log that does not
 * verify), `lost` (refusal not recorded, or the tool ran without a record), `accepted` (the hostile input
 * was taken as genuine: the tool ran, with records that believe it).
 */
export class Tally {
  readonly tried: string[] = [];
  readonly refused: string[] = [];
  readonly mistyped: string[] = [];
  readonly lost: string[] = [];
  readonly accepted: string[] = [];

  note(name: string, o: Observation): void {
    this.tried.push(name);
    if (o.ran) (o.runRecorded ? this.accepted : this.lost).push(name);
    else if (!o.audited) this.lost.push(name);
    else if (!o.typed || !o.verified) this.mistyped.push(name);
    else this.refused.push(name);
  }

  summary(): { tried: number; refused: number; lost: number; accepted: number } {
    return {
      tried: this.tried.length,
      refused: this.refused.length,
      lost: this.lost.length,
      accepted: this.accepted.length,
    };
  }
}

const reasonOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null
    ? (value as { details?: { reason?: unknown } }).details?.reason
    : undefined;

/**
 * The refused task-start record of a `writ.task` refusal: exactly one task-start (refused, with the
 * case's code and reason, no verified requester), nothing started, no decision, no outcome.
 */
export function checkTaskRefusal(
  tally: Tally,
  c: HostileCase<never>,
  e: Evidence,
  leak: { input: string | undefined; markers?: readonly string[] },
): void {
  const refusedStarts = e.records.filter((r) => r.kind === 'task-start' && r.status === 'refused');
  const audited =
    refusedStarts.length === 1 &&
    refusedStarts[0]?.refusal?.code === (WritError.isInstance(e.error) ? e.error.code : undefined);
  tally.note(c.name, {
    typed: WritError.isInstance(e.error, c.code),
    ran: e.ran.length > 0 || e.entered,
    audited,
    runRecorded: e.records.some((r) => r.kind === 'decision'),
    verified: e.verified.ok,
  });

  // 1. a typed refusal, for this case's own reason
  expect(WritError.isInstance(e.error), String(e.error)).toBe(true);
  expect((e.error as WritError).code, (e.error as WritError).message).toBe(c.code);
  if (c.reason !== undefined) expect(reasonOf(e.error)).toBe(c.reason);
  if (c.message !== undefined) expect((e.error as WritError).message).toMatch(c.message);
  // 2. the tool never ran (side channel), nor did the task body
  expect(e.ran).toEqual([]);
  expect(e.entered).toBe(false);
  // 3. the refusal is audited: one refused task-start with the code, and nothing else happened
  expect(e.records.map((r) => [r.kind, r.status ?? null])).toEqual([['task-start', 'refused']]);
  const record = e.records[0] as LogRecord;
  expect(record.refusal.code).toBe(c.code);
  if (c.reason !== undefined) expect(record.refusal.details?.reason).toBe(c.reason);
  if (c.message !== undefined) expect(record.refusal.message).toMatch(c.message);
  expect(record.requester).toBeNull();
  expect(record.scope).toEqual([]);
  // 4. the log verifies (deep, pinned key)
  expect(e.verified).toMatchObject({ ok: true, keyPinned: true });
  // 5. the hostile input is nowhere: not in the records, spans, diagnostics or the error (item 7);
  //    nor is anything the token claims (it was never verified)
  const secrets = secretsOf(leak.input);
  expectAbsent({ records: e.text, telemetry: e.emitted, error: e.errorText }, secrets);
  expectAbsent({ records: e.text, telemetry: e.emitted }, [...ATTACKER_MARKERS, ...(leak.markers ?? [])]);
}

/** The numbers a table must come out with: known-bug cases aside, every case refused with evidence. */
export function expectedTally(cases: readonly HostileCase<never>[]) {
  const bugs = (outcome: 'lost' | 'accepted') =>
    cases.filter((c) => c.bug !== undefined && c.bugOutcome === outcome).map((c) => c.name);
  for (const c of cases) {
    if ((c.bug === undefined) !== (c.bugOutcome === undefined))
      throw new Error(`${c.name}: bug and bugOutcome go together`);
  }
  const lost = bugs('lost');
  const accepted = bugs('accepted');
  return {
    lost,
    accepted,
    summary: {
      tried: cases.length,
      refused: cases.length - lost.length - accepted.length,
      lost: lost.length,
      accepted: accepted.length,
    },
  };
}

/** The title of a table's tally test, with the numbers it asserts. */
export function tallyTitle(label: string, cases: readonly HostileCase<never>[]): string {
  const { summary } = expectedTally(cases);
  return (
    `tally${label}: ${summary.tried} tried, ${summary.refused} refused with evidence, ` +
    `${summary.lost} lost, ${summary.accepted} accepted (lost/accepted only where a known bug is documented)`
  );
}

/**
 * Asserts a table's tally: every case tried and refused with evidence, except the cases that document
 * a known bug (run with `it.fails`), each of which is lost or accepted exactly as its `bugOutcome` says.
 */
export function checkTally(tally: Tally, cases: readonly HostileCase<never>[]): void {
  const expected = expectedTally(cases);
  expect(tally.mistyped).toEqual([]);
  expect(tally.lost).toEqual(expected.lost);
  expect(tally.accepted).toEqual(expected.accepted);
  expect(tally.summary()).toEqual(expected.summary);
}

/** What a refused MCP call left behind on the server side. */
export interface McpEvidence {
  /** The `tools/call` result the client received. */
  readonly result: Record<string, unknown>;
  /** Runs of the server's tool handlers (side channel). */
  readonly ran: readonly string[];
  /** The server's records. */
  readonly records: readonly LogRecord[];
  readonly verified: Awaited<ReturnType<typeof verifyLog>>;
  /** The server's log, as text. */
  readonly text: string;
  /** What telemetry emitted during the call (both sides' spans, diagnostics). */
  readonly emitted: string;
}

/**
 * The evidence of a refused MCP call: an `isError` result carrying the code in `_meta[refusalKey]` and
 * the refusal text, the tool never ran, and the server's log holds exactly one decision (deny, refused
 * with the code and reason, in the server agent's own autonomous task: nothing taken from the token)
 * and one refused outcome, and verifies.
 */
export function checkMcpRefusal(
  tally: Tally,
  c: HostileCase<never>,
  e: McpEvidence,
  options: { token: string; refusalKey: string; serverAgent: string; markers?: readonly string[] },
): void {
  const decisions = e.records.filter((r) => r.kind === 'decision');
  const meta = e.result._meta as Record<string, { code?: string }> | undefined;
  tally.note(c.name, {
    typed: meta?.[options.refusalKey]?.code === c.code,
    ran: e.ran.length > 0,
    audited: decisions.length === 1 && decisions[0]?.refusal?.code === meta?.[options.refusalKey]?.code,
    runRecorded: decisions.length > 0,
    verified: e.verified.ok,
  });

  // 1. a typed refusal reached the caller, for this case's own reason
  expect(e.result.isError).toBe(true);
  expect(meta?.[options.refusalKey]).toEqual({ code: c.code });
  const content = e.result.content as { type: string; text: string }[];
  expect(content[0]?.text).toMatch(
    new RegExp(`^Refused by Writ \\(${c.code}\\): .*The tool was not run\\.$`),
  );
  // 2. the tool never ran (side channel)
  expect(e.ran).toEqual([]);
  // 3. audited: one refused decision and one refused outcome, in the server agent's own task
  expect(e.records.filter((r) => r.kind === 'outcome').map((r) => r.outcome.status)).toEqual(['refused']);
  expect(decisions).toHaveLength(1);
  const decision = decisions[0] as LogRecord;
  expect(decision).toMatchObject({
    decision: { effect: 'deny' },
    refusal: { code: c.code },
    requester: null,
    autonomous: true,
  });
  if (c.reason !== undefined) expect(decision.refusal.details?.reason).toBe(c.reason);
  if (c.message !== undefined) expect(decision.refusal.message).toMatch(c.message);
  expect(decision.chain.map((p: LogRecord) => p.id)).toEqual([options.serverAgent]);
  for (const r of e.records) expect(r.requester).toBeNull();
  // 4. the log verifies (deep, pinned key)
  expect(e.verified).toMatchObject({ ok: true, keyPinned: true });
  // 5. neither the token nor anything it claims reached the records, spans, diagnostics or the result
  //    the model reads (item 7)
  expectAbsent({ records: e.text, telemetry: e.emitted, result: JSON.stringify(e.result) }, [
    ...secretsOf(options.token),
    ...ATTACKER_MARKERS,
    ...(options.markers ?? []),
  ]);
}
