// Issue 18 items 12, 13 and 16 (correlation): scope only narrows, every refusal is recorded, and a
// correlation id nobody signed is marked as such.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileAuditSink, explainLog, formatExplain } from '@writ/audit';
import { extractContext, injectContext, runInContext, WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, BOB, instance } from './support.js';

describe('tasks inside tasks, and what a task opens with', () => {
  it(
    attack(
      'nested-task-widens',
      'a writ.task() opened inside a narrowed delegation keeps the narrowed scope',
    ),
    async () => {
      // no credential broker: core itself must narrow (a broker's own scope check is not the mechanism)
      const { writ, audit } = instance({
        rules: [{ id: 'anything', effect: 'allow' }],
        writ: { credentials: undefined },
      });
      const ran: string[] = [];
      const drop = writ.tool({
        name: 'admin_drop',
        permission: 'admin:drop',
        input: z.object({ table: z.string() }),
        execute: async ({ table }) => {
          ran.push(table);
          return 'dropped';
        },
      });
      const outcome = await writ
        .task({ requester: ALICE, agent: 'orchestrator', scope: ['orders:*', 'admin:*'] }, () =>
          writ.delegate({ agent: 'reader', scope: ['orders:read'] }, () =>
            // the sub-agent's code opens a task of its own, asking for everything
            writ.task({ requester: ALICE, agent: 'reader', scope: ['*'] }, () =>
              drop.execute({ table: 'customers' }),
            ),
          ),
        )
        .catch((e: unknown) => e);
      expect(WritError.isInstance(outcome, 'WRIT_SCOPE_EXCEEDED')).toBe(true);
      expect(ran).toEqual([]);
      // the same nested task without a scope of its own inherits the narrowed one: the call is out of scope
      const inherited = await writ.task(
        { requester: ALICE, agent: 'orchestrator', scope: ['orders:*', 'admin:*'] },
        () =>
          writ.delegate({ agent: 'reader', scope: ['orders:read'] }, () =>
            writ.task({ requester: ALICE, agent: 'reader' }, (t) => t.attribution.scope),
          ),
      );
      expect(inherited).toEqual(['orders:read']);
      const refused = audit.ofKind('task-start').filter((e) => e.status === 'refused');
      expect(refused.map((e) => e.refusal?.code)).toEqual(['WRIT_SCOPE_EXCEEDED']);
    },
  );

  it(
    attack(
      'refusal-over-limits',
      'options over the limits (a 3,000-character token subject) are refused and recorded',
    ),
    async () => {
      const { writ, audit } = instance();
      const inbound = {
        taskId: 'caller-task',
        subject: 'x'.repeat(3_000),
        actors: ['spiffe://caller/agent/orchestrator'],
        autonomous: false,
        scope: ['*'],
        issuer: 'https://caller.example.com',
        jti: 'jti-1',
        expiresAt: Date.now() + 60_000,
      };
      const refusal = await writ.task({ agent: 'orders-mcp', inbound }, () => 'ran').catch((e: unknown) => e);
      expect(WritError.isInstance(refusal, 'WRIT_OPTIONS_INVALID')).toBe(true);
      const [start] = audit.ofKind('task-start');
      expect(start).toMatchObject({ status: 'refused', refusal: { code: 'WRIT_OPTIONS_INVALID' } });
      // what is recorded is bounded: the oversized subject is not in the record
      expect(JSON.stringify(start)).not.toContain('x'.repeat(3_000));
      // garbage instead of options is refused and recorded too
      await expect(writ.task(42 as never, () => 'ran')).rejects.toMatchObject({
        code: 'WRIT_OPTIONS_INVALID',
      });
      await expect(writ.delegate({ agent: 'sub' }, () => 'ran')).rejects.toMatchObject({
        code: 'WRIT_NO_TASK',
      });
      expect(audit.ofKind('task-start').map((e) => e.refusal?.code)).toEqual([
        'WRIT_OPTIONS_INVALID',
        'WRIT_OPTIONS_INVALID',
        'WRIT_NO_TASK',
      ]);
    },
  );

  it(
    attack(
      'correlation-unverified',
      "a correlation id taken from unsigned baggage is marked unverified; a task's own is not",
    ),
    async () => {
      const { writ, audit } = instance();
      const headers: Record<string, string> = { baggage: 'writ.correlation_id=attacker-chosen' };
      await runInContext(extractContext(headers), () =>
        writ.task({ requester: ALICE, agent: 'desk' }, () => 1),
      );
      const [forged] = audit.ofKind('task-start');
      expect(forged).toMatchObject({ correlationId: 'attacker-chosen', correlationUnverified: true });
      // a task's own correlation id carried to a nested task is the task's, not unverified
      await writ.task({ requester: ALICE, agent: 'desk' }, async () => {
        const carrier: Record<string, string> = {};
        injectContext(carrier);
        await runInContext(extractContext(carrier), () =>
          writ.task({ requester: ALICE, agent: 'desk' }, () => 1),
        );
      });
      const [, outer, inner] = audit.ofKind('task-start');
      expect(inner?.correlationId).toBe(outer?.correlationId);
      expect(inner).not.toHaveProperty('correlationUnverified');
    },
  );

  it(
    attack(
      'explain-correlation-unverified',
      "a caller who copies a victim's correlation id into baggage does not join the victim's story in explain",
    ),
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'writ-correlation-'));
      try {
        const audit = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
        const { writ } = instance({ writ: { audit } });
        const victim = await writ.task({ requester: ALICE, agent: 'desk' }, (t) => t.attribution);
        const headers = { baggage: `writ.correlation_id=${victim.correlationId}` };
        const forged = await runInContext(extractContext(headers), () =>
          writ.task({ requester: BOB, agent: 'desk' }, (t) => t.attribution),
        );
        await writ.close();
        expect(forged.correlationId).toBe(victim.correlationId);

        const query = { correlationId: victim.correlationId };
        const options = { verifierKey: audit.verifierKey };
        const told = await explainLog(audit.dir, query, options);
        expect(told.map((t) => t.taskId)).toEqual([victim.taskId]);
        const asked = await explainLog(audit.dir, { ...query, includeUnverified: true }, options);
        expect(asked.map((t) => [t.taskId, t.correlationUnverified])).toEqual([
          [victim.taskId, false],
          [forged.taskId, true],
        ]);
        expect(formatExplain(asked)).toContain('(unverified: from baggage the caller sent)');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
