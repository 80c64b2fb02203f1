// Issue 9 item 5 (concurrency). Builds on packages/core/src/concurrency.test.ts (1,000 tasks, in-memory
// parts): here 10,000 concurrent tasks run end to end through the zero-config runtime (local authority
// requester tokens, task tokens and audience credentials, the shipped Cedar policy, the file log), each
// with its own requester, its own agents, its own scope and a delegation depth of 0–3. Durability is
// `async` for this one (the crash suite covers `strict`); the log is still closed, read back and verified.
// Zero context bleed is checked in spans (real OTel SDK via @writ/otel/testing), in every audit record,
// and in each call's credential (verified as a downstream service would, with verifyTaskToken).
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyTaskToken } from '@writ/identity';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { createApprovalQueue } from '@writ/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit, getAttribution, WritError } from 'writ';
import { z } from 'zod';
import { readRecords, removeDir, type StoredRecord, tempDir, verifyDeep } from './support.js';

const TASKS = 10_000;
const AUDIENCE = 'https://tenants.example';

let dir: string;
let tracing: TestTracing;
beforeAll(async () => {
  dir = await tempDir('writ-hardening-concurrency-');
  tracing = startTestTracing();
});
afterAll(async () => {
  await tracing.shutdown();
  await removeDir(dir);
});

/** What task `i` set up, level by level (0 = the task itself, then each delegation). */
const depthOf = (i: number) => i % 4;
const agentsOf = (i: number) => Array.from({ length: depthOf(i) + 1 }, (_, k) => `t${i}-level${k}`);
const rootScope = (i: number) => [
  `tenant-${i}:read`,
  `tenant-${i}:list`,
  `tenant-${i}:audit`,
  `tenant-${i}:export`,
];
/** Each delegation drops one scope item: scope only narrows. */
const scopeAt = (i: number, level: number) => rootScope(i).slice(0, 4 - level);
const userOf = (i: number) => `user-${i}@example.com`;

interface Seen {
  readonly i: number;
  readonly callId: string;
  readonly taskId: string;
  readonly requester: string | undefined;
  readonly chain: readonly string[];
  readonly scope: readonly string[];
  readonly correlationId: string;
  readonly token: string;
  readonly jti: string;
  readonly audience: string | undefined;
  readonly credentialScope: readonly string[];
}

describe('concurrency: 10,000 concurrent zero-config tasks, distinct requesters, delegation depth 0–3', () => {
  it('shows zero context bleed in spans, records and credentials, and no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const reported: WritError[] = [];
    // 10,000 tasks start at once on a shared 2-core machine: each step waits behind the others' CPU work
    // (signatures, Cedar), so the default deadlines (identity/credential 5 s, policy 2 s) would fail the
    // later tasks closed (WRIT_CREDENTIAL_UNAVAILABLE). This test is about isolation, so they are generous.
    const writ = createWrit({
      dir,
      durability: 'async',
      onError: (e) => reported.push(e),
      timeouts: { identityMs: 300_000, credentialMs: 300_000, policyMs: 300_000, auditMs: 300_000 },
    });
    let closed = false;
    try {
      const { localIdentity, authority, fileAudit } = await writ.ready();
      if (localIdentity === undefined || fileAudit === undefined) throw new Error('zero config expected');
      const tokens = await Promise.all(
        Array.from({ length: TASKS }, (_, i) => localIdentity.issueRequesterToken({ sub: userOf(i) })),
      );

      const started = performance.now();
      const seen: Seen[] = [];
      /** Task ids of each level of task `i`, as its own handles reported them. */
      const levels = new Map<number, string[]>();
      const correlation = new Map<number, string>();
      const tool = writ.tool({
        name: 'read_tenant',
        annotations: { readOnly: true },
        audience: AUDIENCE,
        input: z.object({ i: z.number().int() }),
        execute: async ({ i }, ctx) => {
          await sleep(Math.random() * 3);
          const a = getAttribution();
          seen.push({
            i,
            callId: ctx.call.id,
            taskId: a.taskId,
            requester: a.requester?.id,
            chain: a.chain.map((p) => p.id),
            scope: [...a.scope],
            correlationId: a.correlationId,
            token: ctx.credential?.token ?? '',
            jti: ctx.credential?.jti ?? '',
            audience: ctx.credential?.audience,
            credentialScope: [...(ctx.credential?.scope ?? [])],
          });
          return i;
        },
      });

      const results = await Promise.all(
        Array.from({ length: TASKS }, (_, i) =>
          writ.task(
            {
              // its own signal, as a server passes its request's (see the test below for what
              // 10,000 tasks sharing the default never-aborting signal cost)
              signal: new AbortController().signal,
              requester: tokens[i] as string,
              agent: agentsOf(i)[0] as string,
              intent: `job ${i}`,
              scope: rootScope(i),
            },
            async (root) => {
              levels.set(i, [root.attribution.taskId]);
              correlation.set(i, root.attribution.correlationId);
              await sleep(Math.random() * 3);
              const run = async (level: number): Promise<number> => {
                if (level > depthOf(i)) return tool.execute({ i });
                return writ.delegate(
                  { agent: agentsOf(i)[level] as string, scope: scopeAt(i, level) },
                  async (sub) => {
                    levels.get(i)?.push(sub.attribution.taskId);
                    await sleep(Math.random() * 2);
                    return run(level + 1);
                  },
                );
              };
              return run(1);
            },
          ),
        ),
      );
      await writ.close();
      closed = true;
      console.log(`concurrency: ${TASKS} tasks ran in ${Math.round(performance.now() - started)} ms`);
      expect(results).toEqual(Array.from({ length: TASKS }, (_, i) => i));

      // Mismatches are collected (one expect per check would cost more than the run) and asserted at the end.
      const bleed: string[] = [];
      const same = (where: string, actual: unknown, expected: unknown) => {
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          bleed.push(`${where}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
      };

      // inside each tool: the caller's own attribution and credential, never another task's
      expect(seen).toHaveLength(TASKS);
      const byCall = new Map(seen.map((s) => [s.callId, s]));
      expect(byCall.size).toBe(TASKS);
      const agentIds = (i: number) => agentsOf(i).map((n) => authority.agentId(n));
      let credentialsChecked = 0;
      const keys = authority.keyResolver(); // one key set for all 10,000 verifications
      const verifiedTokens = await Promise.all(
        // each credential, verified as the downstream service would (in parallel: WebCrypto runs off-thread)
        seen.map((s) =>
          verifyTaskToken(s.token, { issuer: authority.issuer, audience: AUDIENCE, jwks: keys }),
        ),
      );
      seen.forEach((s, k) => {
        const taskIds = levels.get(s.i) as string[];
        const at = `call of task ${s.i}`;
        same(`${at} levels`, taskIds.length, depthOf(s.i) + 1);
        same(`${at} requester`, s.requester, userOf(s.i));
        same(`${at} chain`, s.chain, agentIds(s.i));
        same(`${at} task`, s.taskId, taskIds.at(-1));
        same(`${at} scope`, s.scope, scopeAt(s.i, depthOf(s.i)));
        same(`${at} correlation`, s.correlationId, correlation.get(s.i));
        same(`${at} credential audience`, s.audience, AUDIENCE);
        same(`${at} credential scope`, s.credentialScope, s.scope);
        // the verified credential names the same requester, chain, task and scope
        const verified = verifiedTokens[k] as Awaited<ReturnType<typeof verifyTaskToken>>;
        same(`${at} token jti`, verified.jti, s.jti);
        same(`${at} token sub`, verified.subject, userOf(s.i));
        same(`${at} token act`, verified.actors, agentIds(s.i));
        same(`${at} token txn`, verified.taskId, s.taskId);
        same(`${at} token scope`, verified.scope, s.scope);
        same(`${at} token correlation`, verified.correlationId, s.correlationId);
        credentialsChecked++;
      });
      expect(new Set(seen.map((s) => s.jti)).size).toBe(TASKS);
      expect(credentialsChecked).toBe(TASKS);

      // spans: every execute_tool span carries its own task's requester, chain, task, credential
      console.log(`concurrency: credentials checked at ${Math.round(performance.now() - started)} ms`);
      const spans = tracing.toolSpans();
      expect(spans).toHaveLength(TASKS);
      for (const span of spans) {
        const a = span.attributes;
        const s = byCall.get(a['writ.call.id'] as string);
        if (s === undefined) {
          bleed.push(`span of unknown call ${String(a['writ.call.id'])}`);
          continue;
        }
        const at = `span of task ${s.i}`;
        same(`${at} enduser.id`, a['enduser.id'], userOf(s.i));
        same(`${at} writ.task.id`, a['writ.task.id'], s.taskId);
        same(`${at} writ.correlation_id`, a['writ.correlation_id'], s.correlationId);
        same(`${at} writ.chain`, a['writ.chain'], [userOf(s.i), ...agentIds(s.i)]);
        same(`${at} writ.agent.id`, a['writ.agent.id'], agentIds(s.i).at(-1));
        same(`${at} writ.credential.jti`, a['writ.credential.jti'], s.jti);
        same(`${at} writ.policy.effect`, a['writ.policy.effect'], 'allow');
      }

      // records: each one names exactly the requester, chain, task and parent its task set up
      const verdict = await verifyDeep(`${dir}/audit`, fileAudit.verifierKey);
      expect(verdict.ok, verdict.reason).toBe(true);
      const records = (await readRecords(`${dir}/audit`)).filter((r) => r.kind !== 'checkpoint');
      // per level a task-start and a task-end (carrying what was revoked); one call's decision and outcome
      const expectedRecords = Array.from({ length: TASKS }, (_, i) => 2 * (depthOf(i) + 1) + 2).reduce(
        (a, b) => a + b,
        0,
      );
      expect(records).toHaveLength(expectedRecords);
      /** taskId → [task i, level] */
      const owner = new Map<string, [number, number]>();
      for (const [i, ids] of levels) {
        for (const [level, id] of ids.entries()) owner.set(id, [i, level]);
      }
      expect(owner.size).toBe(
        Array.from({ length: TASKS }, (_, i) => depthOf(i) + 1).reduce((a, b) => a + b),
      );
      /** credential jtis each task level was given (task token, audience credential) */
      const jtisOf = new Map<string, Set<string>>();
      const jtis = (taskId: string) => {
        const set = jtisOf.get(taskId) ?? new Set<string>();
        jtisOf.set(taskId, set);
        return set;
      };
      const kinds = new Map<string, number>();
      for (const r of records) {
        kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
        const found = owner.get(r.taskId);
        if (found === undefined) {
          bleed.push(`${r.kind} record of unknown task ${r.taskId}`);
          continue;
        }
        const [i, level] = found;
        const at = `${r.kind} record of task ${i} level ${level}`;
        same(`${at} requester`, r.requester?.id, userOf(i));
        same(
          `${at} chain`,
          r.chain.map((p: StoredRecord) => p.id),
          agentIds(i).slice(0, level + 1),
        );
        same(`${at} correlation`, r.correlationId, correlation.get(i));
        same(`${at} intent`, r.intent, `job ${i}`);
        same(`${at} parent`, r.parentTaskId, level === 0 ? undefined : levels.get(i)?.[level - 1]);
        if (r.kind === 'task-start') {
          same(`${at} status`, r.status, 'started');
          same(`${at} scope`, r.scope, scopeAt(i, level));
          jtis(r.taskId).add(r.credential.jti);
        } else if (r.kind === 'decision') {
          const s = byCall.get(r.call.id);
          same(`${at} call owner`, s?.i, i);
          same(`${at} level`, level, depthOf(i));
          same(`${at} effect`, r.decision.effect, 'allow');
          same(`${at} credential`, [r.credential?.jti, r.credential?.audience], [s?.jti, AUDIENCE]);
          const evaluated = r.decision.evaluatedContext;
          same(`${at} evaluated requester`, evaluated.subject.properties.requester.id, userOf(i));
          same(`${at} evaluated task`, evaluated.context.taskId, s?.taskId);
          same(`${at} evaluated scope`, evaluated.context.scope, scopeAt(i, level));
          jtis(r.taskId).add(s?.jti ?? '');
        } else if (r.kind === 'outcome') {
          same(`${at} status`, r.outcome.status, 'ok');
          same(`${at} call owner`, byCall.get(r.call.id)?.i, i);
        }
      }
      // revocations (on task-end records) name only credentials of their own task
      let revoked = 0;
      for (const r of records.filter((x) => x.kind === 'task-end')) {
        for (const c of r.revoked ?? []) {
          revoked++;
          if (!jtis(r.taskId).has(c.jti)) bleed.push(`revocation in task ${r.taskId} names ${c.jti}`);
        }
      }
      // every task token and every audience credential was revoked exactly once
      same('revoked credentials', revoked, owner.size + TASKS);
      const levelsTotal = owner.size;
      console.log(`concurrency: records checked at ${Math.round(performance.now() - started)} ms`);
      expect(Object.fromEntries(kinds)).toEqual({
        'task-start': levelsTotal,
        decision: TASKS,
        outcome: TASKS,
        'task-end': levelsTotal,
      });

      expect(bleed.slice(0, 20)).toEqual([]);
      expect(reported).toEqual([]);
      // let any stray rejection surface before looking
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      // closing twice was a bug (fixed, see the test below), so only close when the run did not get there
      if (!closed) await writ.close();
      process.off('unhandledRejection', onUnhandled);
    }
  }, 180_000);

  // The same burst on the DEFAULT deadlines (and the default never-aborting signal): steps that wait behind
  // 10,000 others' CPU work past their deadline fail closed. That is the designed behaviour under overload;
  // what must hold is that nothing is lost: every task either ran its call with a decision record or was
  // refused with a typed code and that refusal is in the log (or, for an audit timeout, reported).
  it('on default deadlines, an overloaded burst fails closed call by call and loses nothing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const local = await tempDir('writ-hardening-overload-');
    const reported: WritError[] = [];
    const writ = createWrit({ dir: local, durability: 'async', onError: (e) => reported.push(e) });
    try {
      const { localIdentity, fileAudit } = await writ.ready();
      if (localIdentity === undefined || fileAudit === undefined) throw new Error('zero config expected');
      const tokens = await Promise.all(
        Array.from({ length: TASKS }, (_, i) => localIdentity.issueRequesterToken({ sub: userOf(i) })),
      );
      const ran = new Set<number>();
      const tool = writ.tool({
        name: 'read_tenant',
        annotations: { readOnly: true },
        audience: AUDIENCE,
        input: z.object({ i: z.number().int() }),
        execute: async ({ i }) => {
          ran.add(i);
          return i;
        },
      });
      const settled = await Promise.allSettled(
        Array.from({ length: TASKS }, (_, i) =>
          writ.task({ requester: tokens[i] as string, agent: `burst-${i}`, scope: rootScope(i) }, () =>
            tool.execute({ i }),
          ),
        ),
      );
      await writ.close();
      const refusedCodes = new Map<string, number>();
      const untyped: unknown[] = [];
      /**
       * task (its agent, `burst-<i>`) → code of the refusal the caller saw. Keyed by the agent name, which
       * every record of the task carries — a requester whose token did not verify is named in none.
       */
      const refusedBy = new Map<string, string>();
      const taskOf = (i: number) => `burst-${i}`;
      for (const [i, r] of settled.entries()) {
        if (r.status === 'fulfilled') {
          expect(r.value).toBe(i);
          expect(ran.has(i)).toBe(true);
        } else if (WritError.isInstance(r.reason)) {
          refusedCodes.set(r.reason.code, (refusedCodes.get(r.reason.code) ?? 0) + 1);
          refusedBy.set(taskOf(i), r.reason.code);
          expect(ran.has(i)).toBe(false);
        } else untyped.push(r.reason);
      }
      expect(untyped).toEqual([]);
      const verdict = await verifyDeep(`${local}/audit`, fileAudit.verifierKey);
      expect(verdict.ok, verdict.reason).toBe(true);
      const records = await readRecords(`${local}/audit`);
      const allowed = new Set<string>();
      const refusalInLog = new Map<string, string>();
      for (const r of records) {
        const user = (r.chain as { name?: string }[] | undefined)?.at(-1)?.name;
        if (user === undefined) continue;
        if (r.kind === 'decision' && r.refusal === undefined && r.decision.effect === 'allow')
          allowed.add(user);
        if ((r.kind === 'decision' || r.kind === 'task-start') && r.refusal !== undefined)
          refusalInLog.set(user, r.refusal.code);
      }
      // every call that ran has its decision record
      for (const i of ran) expect(allowed.has(taskOf(i)), `decision of task ${i}`).toBe(true);
      // every refusal is in the log with the code the caller saw, except when the log itself did not answer
      // in time: then the caller was told so (WRIT_AUDIT_UNAVAILABLE) and the record cannot exist
      const auditTimeouts = reported.filter((e) => e.code === 'WRIT_AUDIT_UNAVAILABLE').length;
      const unrecorded = [...refusedBy].filter(([user, code]) => refusalInLog.get(user) !== code);
      expect(unrecorded.filter(([, code]) => code !== 'WRIT_AUDIT_UNAVAILABLE')).toEqual([]);
      expect(ran.size + refusedBy.size).toBe(TASKS);
      console.log(
        `overload on default deadlines: ${ran.size} ran, ${refusedBy.size} refused ${JSON.stringify(
          Object.fromEntries(refusedCodes),
        )}, ${refusedBy.size - unrecorded.length} refusals in the log, ${auditTimeouts} reported audit timeouts`,
      );
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      await writ.close().catch(() => undefined);
      process.off('unhandledRejection', onUnhandled);
      await removeDir(local);
    }
  }, 180_000);

  // BUG (packages/core/src/runtime.ts, withDeadline): every deadline-bounded step (identity, credential,
  // policy, approval, audit append, revocation) adds an 'abort' listener to its parent signal and removes
  // it when the step settles. Tasks started without a signal all share one never-aborting signal (NEVER),
  // so with n calls in flight that one EventTarget holds n listeners, and Node's add/removeEventListener
  // walk the list each time: O(n²). Profiled at 10,000 concurrent zero-config tasks: 61 of 116 s CPU in
  // add/removeEventListener. Fix: do not listen on a signal that can never abort (`parent === NEVER`),
  // and fan out from one listener per parent signal (WeakMap<AbortSignal, Set<() => void>>) for real ones.
  it('keeps the shared never-aborting signal free of per-step abort listeners while calls wait', async () => {
    const queue = createApprovalQueue();
    const local = await tempDir('writ-hardening-listeners-');
    const writ = createWrit({ dir: local, approvals: queue });
    const ran: number[] = [];
    const refund = writ.tool({
      name: 'refund',
      risk: 'high', // the shipped policy asks a human: every call waits in the approval step
      input: z.object({ n: z.number() }),
      execute: async ({ n }) => ran.push(n),
    });
    const WAITING = 500;
    let listeners = -1;
    try {
      await writ.task({ agent: 'support' }, async (task) => {
        const calls = Array.from({ length: WAITING }, (_, n) =>
          refund.execute({ n }).catch((e: unknown) => e),
        );
        while (queue.pending().length < WAITING) await sleep(5);
        listeners = getEventListeners(task.signal, 'abort').length;
        for (const p of queue.pending())
          queue.answer(p.id, {
            approved: false,
            approver: { kind: 'human', id: 'ops', assurance: 'verified' },
          });
        const errors = await Promise.all(calls);
        expect(errors.every((e) => WritError.isInstance(e, 'WRIT_APPROVAL_REJECTED'))).toBe(true);
      });
    } finally {
      await writ.close();
      await removeDir(local);
    }
    expect(ran).toEqual([]);
    expect(listeners).toBeLessThanOrEqual(1);
  });

  // BUG (packages/audit/src/log-appender.ts, flush): `writ.close()` flushes then closes the sink; a second
  // close flushes again and `storage.sync()` runs on the closed FileHandle, rejecting with a raw
  // `Error: file closed` (not a WritError, and close is not idempotent as OTel/pino shutdowns are).
  // Fix: `if (closed) return;` at the top of the appender's flush(), and make the file sink's close()
  // return early once closed.
  it('closing the zero-config runtime twice is harmless', async () => {
    const local = await tempDir('writ-hardening-close-');
    const writ = createWrit({ dir: local });
    const ping = writ.tool({ name: 'ping', risk: 'low', input: z.object({}), execute: async () => 'pong' });
    try {
      await writ.task({ agent: 'a' }, () => ping.execute({}));
      await writ.close();
      await expect(writ.close()).resolves.toBeUndefined();
    } finally {
      await removeDir(local);
    }
  });
});
