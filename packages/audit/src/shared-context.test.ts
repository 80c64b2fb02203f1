// Decision records of version 2 carry the part of the evaluated context a task's calls share once per
// task and log, by digest after that; every reader gives back the full request the engine judged, and a
// log of version-1 records reads exactly as before.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainLog, readVerifiedLog, type TaskNode, verifyLog } from '@writ/audit';
import * as core from '@writ/core';
import { digest } from '@writ/core/plugin';
import * as testing from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTempDir } from './__support__/log.js';
import { writeSharedContextLog } from './__support__/shared-context-scenario.mjs';

/** A record as stored, read back as plain JSON and probed field by field. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Stored = Record<string, any>;

const V1 = fileURLToPath(new URL('./__fixtures__/v1-log/', import.meta.url));

let dir: string;
useTempDir('writ-shared-context-', (path) => {
  dir = path;
});

/** The stored records of a log directory, as written (no resolution). */
async function storedRecords(logDir: string): Promise<{ bytes: number; r: Stored }[]> {
  const text = await readFile(join(logDir, '000000000000.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => ({ bytes: Buffer.byteLength(line), r: JSON.parse(line).r }));
}

/** Every call of a task tree, depth first (delegations after their parent's calls). */
function callsOf(nodes: readonly TaskNode[]): TaskNode['calls'][number][] {
  return nodes.flatMap((n) => [...n.calls, ...callsOf(n.delegations)]);
}

describe('shared evaluated context (records v2)', () => {
  it('a log of version-1 records (written before v2) verifies, deep, and explains exactly as that build explained it', async () => {
    const fixture = JSON.parse(await readFile(join(V1, 'fixture.json'), 'utf8'));
    const explained = JSON.parse(await readFile(join(V1, 'explained.json'), 'utf8'));
    const audit = join(V1, 'audit');
    const verdict = await verifyLog(audit, { verifierKey: fixture.verifierKey, deep: true });
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings).toEqual([]);
    const stored = await storedRecords(audit);
    expect(stored.every(({ r }) => r.kind === 'checkpoint' || r.v === 1)).toBe(true);
    for (const [i, taskId] of (fixture.taskIds as string[]).entries()) {
      const now = await explainLog(audit, { taskId }, { verifierKey: fixture.verifierKey });
      expect(JSON.parse(JSON.stringify(now))).toEqual(explained[i]);
    }
    const { records } = await readVerifiedLog(audit, { verifierKey: fixture.verifierKey });
    expect(records.filter((r) => r.finding !== undefined)).toEqual([]);
  });

  it('a new log: the shared part is written once per task, referenced after; every reader resolves the full request the engine judged', async () => {
    const audit = join(dir, 'audit');
    const written = await writeSharedContextLog(
      { core, testing, audit: await import('@writ/audit'), z },
      {
        dir: audit,
        keyDir: join(dir, 'keys'),
      },
    );
    const stored = await storedRecords(audit);
    const decisions = stored.filter(({ r }) => r.kind === 'decision');
    expect(decisions).toHaveLength(10);
    // per task: the first decision record holds the value, every later one the digest alone
    const seen = new Map<string, string>();
    for (const { r } of decisions) {
      const shared = r.decision.sharedContext;
      expect(r.v).toBe(2);
      expect(r.decision.evaluatedContext.subject).toBeUndefined();
      expect(r.decision.evaluatedContext.context.taskId).toBeUndefined();
      expect(r.decision.evaluatedContext.context.argsDigest).toMatch(/^sha256:/);
      if (seen.has(r.taskId)) {
        expect(shared).toEqual({ digest: seen.get(r.taskId) });
      } else {
        expect(shared.value.context.taskId).toBe(r.taskId);
        expect(shared.value.subject.id).toBe(r.chain.at(-1).id);
        expect(shared.digest).toBe(digest(shared.value));
        seen.set(r.taskId, shared.digest);
      }
    }
    expect(seen.size).toBe(4); // two tasks and their delegations: a task each
    const first = decisions[0]?.bytes ?? 0;
    const second = decisions[1]?.bytes ?? 0;
    console.log(`decision record: ${first} bytes holding the shared part, ${second} bytes referring to it`);
    expect(second).toBeLessThan(first);

    const verdict = await verifyLog(audit, { verifierKey: written.verifierKey, deep: true });
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings).toEqual([]);
    const { records } = await readVerifiedLog(audit, { verifierKey: written.verifierKey });
    expect(records.filter((r) => r.finding !== undefined)).toEqual([]);
    const read = records.flatMap((r) => (r.record?.kind === 'decision' ? [r.record] : []));
    // the engine's requests, in call order: exactly what each record resolves to
    expect(read.map((r) => r.decision.evaluatedContext)).toEqual(written.requests);
    expect(read.every((r) => r.decision.sharedContext === undefined)).toBe(true);
    for (const taskId of written.taskIds) {
      const roots = await explainLog(audit, { taskId }, { verifierKey: written.verifierKey });
      const calls = callsOf(roots);
      expect(calls).toHaveLength(5);
      for (const call of calls) {
        const request = written.requests.find(
          (q: Stored) => q.context.toolCallId === call.callId,
        ) as core.AuthorizationRequest;
        expect(call.decision?.evaluatedContext).toEqual(request);
      }
    }
  });

  it('the testing sink keeps the stored lines by reference and its events resolved, as investigators read them', async () => {
    const audit = testing.createInMemoryAuditSink();
    const policy = testing.createInMemoryPolicy({ fallback: 'allow' });
    const writ = core.createWrit({ audit, policy, credentials: testing.createInMemoryCredentialBroker() });
    const tool = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => orderId,
    });
    await writ.task({ agent: 'support-bot', intent: 'orders', scope: ['*'] }, async () => {
      await tool.execute({ orderId: '1' });
      await tool.execute({ orderId: '2' });
    });
    const lines = audit.lines.map((l) => JSON.parse(l)).filter((r) => r.kind === 'decision');
    expect(lines[1].decision.sharedContext).toEqual({ digest: lines[0].decision.sharedContext.digest });
    expect(audit.ofKind('decision').map((e) => e.decision.evaluatedContext)).toEqual(policy.requests);
  });

  it('an append that fails takes the shared part with it: the next record of the task holds it again', async () => {
    const audit = testing.createInMemoryAuditSink();
    const writ = core.createWrit({
      audit,
      policy: testing.createInMemoryPolicy({ fallback: 'allow' }),
      credentials: testing.createInMemoryCredentialBroker(),
    });
    const tool = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => orderId,
    });
    await writ.task({ agent: 'support-bot', intent: 'orders', scope: ['*'] }, async () => {
      audit.setFailure(new Error('disk full'));
      await expect(tool.execute({ orderId: '1' })).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
      audit.setFailure(undefined);
      await tool.execute({ orderId: '2' });
    });
    const refused = audit.refused.find((e) => e.kind === 'decision');
    expect(refused?.kind === 'decision' && refused.decision.sharedContext?.value).toBeDefined();
    const [decision] = audit.lines.map((l) => JSON.parse(l)).filter((r) => r.kind === 'decision');
    expect(decision.decision.sharedContext.value).toBeDefined();
  });
});
