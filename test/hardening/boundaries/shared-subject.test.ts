// Issue 23: the subject of a task's authorization requests (the acting agent, its requester and chain) is
// built once per task and shared by its calls (their decision records then refer to it by digest). Shared
// must not mean writable: an engine or `transformRequest` middleware that changes the subject it was
// given in one call must not change what a later call of the task is judged and recorded with.
import { type AuthorizationRequest, createWrit, type Decision } from '@writ/core';
import {
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
} from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, asUser } from './support.js';

/** Tries every way of changing a request's subject in place; what the runtime refuses is skipped. */
function tamper(request: AuthorizationRequest): void {
  const subject = request.subject as unknown as Record<string, unknown>;
  const properties = request.subject.properties as Record<string, unknown>;
  const attempts = [
    () => {
      subject.id = 'spiffe://evil.example/agent/admin';
    },
    () => {
      subject.type = 'Service';
    },
    () => {
      properties.name = 'admin';
    },
    () => {
      properties.requester = { kind: 'human', id: 'mallory@example.com', assurance: 'verified' };
    },
    () => {
      properties.role = 'admin';
    },
    () => {
      (properties.chain as unknown[]).push({ kind: 'agent', id: 'evil' });
    },
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch {
      // frozen: refused
    }
  }
}

describe('the shared subject of a task', () => {
  it(
    attack(
      'shared-subject-mutated',
      "an engine changing one call's subject in place changes nothing in the next call's request or records",
    ),
    async () => {
      const audit = createInMemoryAuditSink();
      const seen: string[] = [];
      let calls = 0;
      const writ = createWrit({
        service: 'support',
        identity: createInMemoryIdentity({ requesters: { [ALICE]: { id: 'alice@example.com' } } }),
        policy: {
          name: 'tampering',
          async decide(request) {
            seen.push(JSON.stringify(request.subject));
            if (calls++ === 0) tamper(request);
            // checkDecision fills in the rest (decisionId, engine, evaluatedContext)
            return { effect: 'allow', policyIds: ['tampering#allow'], reasons: [] } as unknown as Decision;
          },
        },
        audit,
        credentials: createInMemoryCredentialBroker(),
      });
      const lookup = writ.tool({
        name: 'get_statement',
        input: z.object({ id: z.string() }),
        resource: (args) => ({ type: 'Statement', id: args.id }),
        execute: async (args) => ({ id: args.id }),
      });
      await writ.task(asUser(ALICE), async () => {
        await lookup.execute({ id: 's1' });
        await lookup.execute({ id: 's2' });
        await lookup.execute({ id: 's3' });
      });
      await writ.close();
      expect(seen).toHaveLength(3);
      // every call was asked with the subject the task's first call was asked with
      expect(new Set(seen).size).toBe(1);
      const subject = JSON.parse(seen[0] as string);
      expect(subject.id).not.toContain('evil');
      expect(subject.properties.role).toBeUndefined();
      expect(subject.properties.requester.id).toBe('alice@example.com');
      // and every decision record (resolved: the sink holds the full evaluated context) says the same
      const decisions = audit.ofKind('decision');
      expect(decisions).toHaveLength(3);
      for (const d of decisions) expect(JSON.stringify(d.decision.evaluatedContext?.subject)).toBe(seen[0]);
      // the later records still refer to the one shared context the first holds
      const refs = audit.lines
        .map((l) => JSON.parse(l))
        .filter((r) => r.kind === 'decision')
        .map((r) => r.decision.sharedContext.digest);
      expect(new Set(refs).size).toBe(1);
    },
  );
});
