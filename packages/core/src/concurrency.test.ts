import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { setupTracing, type Tracing } from './__support__/otel.js';
import { createWrit, getAttribution } from './index.js';
import {
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from './testing/index.js';

const TASKS = 1_000;
let tracing: Tracing;
beforeAll(() => {
  tracing = setupTracing();
});
afterAll(async () => {
  await tracing.shutdown();
});

describe('1,000 concurrent tasks with distinct requesters', () => {
  it('show zero context bleed in spans, audit events and credentials', async () => {
    const requesters = Object.fromEntries(
      Array.from({ length: TASKS }, (_, i) => [`tok-${i}`, { id: `user-${i}` }]),
    );
    const audit = createInMemoryAuditSink();
    const credentials = createInMemoryCredentialBroker();
    const writ = createWrit({
      identity: createInMemoryIdentity({ requesters }),
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit,
      credentials,
      telemetry: { tracer: tracing.tracer },
    });
    const observed: {
      user: string;
      seen: string | undefined;
      jti: string | undefined;
      taskJti: string | undefined;
    }[] = [];
    const tool = writ.tool({
      name: 'whoami',
      input: z.object({ user: z.string() }),
      audience: 'https://api.example.com',
      execute: async ({ user }, ctx) => {
        await sleep(Math.random() * 5);
        observed.push({
          user,
          seen: getAttribution().requester?.id,
          jti: ctx.credential?.jti,
          taskJti: ctx.attribution.credential?.jti,
        });
        return user;
      },
    });

    const results = await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        writ.task({ requester: `tok-${i}`, agent: 'orchestrator', intent: `job ${i}` }, async () => {
          await sleep(Math.random() * 5);
          const depth = i % 3;
          const run = async (level: number): Promise<string> =>
            level === 0
              ? tool.execute({ user: `user-${i}` })
              : writ.delegate({ agent: `sub-${level}` }, () => run(level - 1));
          return run(depth);
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: TASKS }, (_, i) => `user-${i}`));

    // inside each tool: the attribution is the caller's own
    expect(observed).toHaveLength(TASKS);
    for (const o of observed) expect(o.seen).toBe(o.user);

    // credentials: each call got an audience credential of its own task, never another's
    const byJti = new Map(credentials.issued.map((c) => [c.jti, c]));
    expect(new Set(observed.map((o) => o.jti)).size).toBe(TASKS);
    for (const o of observed) expect(byJti.get(o.jti as string)?.audience).toBe('https://api.example.com');

    // spans: enduser.id always matches the user in the arguments' task
    const spans = tracing.toolSpans();
    expect(spans).toHaveLength(TASKS);
    const userOfTask = new Map<string, string>();
    for (const e of audit.ofKind('task-start')) userOfTask.set(e.taskId, e.requester?.id as string);
    for (const span of spans) {
      const task = span.attributes['writ.task.id'] as string;
      expect(span.attributes['enduser.id']).toBe(userOfTask.get(task));
      const chain = span.attributes['writ.chain'] as string[];
      expect(chain[0]).toBe(span.attributes['enduser.id']);
    }

    // audit: every decision and outcome names the same requester as its task, and its intent
    const decisions = audit.ofKind('decision');
    expect(decisions).toHaveLength(TASKS);
    for (const d of decisions) {
      const n = Number(String(d.requester?.id).slice('user-'.length));
      expect(userOfTask.get(d.taskId)).toBe(d.requester?.id);
      expect(d.intent).toBe(`job ${n}`);
      expect(d.chain).toHaveLength((n % 3) + 1);
      expect(d.decision.evaluatedContext?.subject.properties.requester?.id).toBe(`user-${n}`);
    }
    // every task's credentials were revoked when it ended
    expect(credentials.issued.every((c) => credentials.isRevoked(c.jti))).toBe(true);
  });
});
