// Issue 23 item 5: a decision record carries the part of its evaluated context its task's calls share once
// (the task's first decision record in the log) and refers to it by digest after. What the log proves must
// not change: a reference that does not resolve in its own task is a named finding in `writ verify --deep`,
// `readVerifiedLog`, `writ explain` (text and --json), never a silent gap and never another task's context.
// The hand-made records are appended with the log's own writer (someone holding the key, or a buggy
// writer): the log verifies, so only these checks can tell.
// The CLI runs are of the BUILT binary: build first (npx turbo run build).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, explainLog, readVerifiedLog, verifyLog } from '@writ/audit';
import * as core from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import * as testing from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { writeSharedContextLog } from '../../../packages/audit/src/__support__/shared-context-scenario.mjs';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';

/** A record as stored, read back as plain JSON and probed field by field. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Stored = Record<string, any>;

let root: string;
beforeAll(async () => {
  root = await tempDir('writ-shared-context-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Written {
  readonly audit: string;
  readonly keyDir: string;
  readonly verifierKey: string;
  readonly taskIds: readonly string[];
  readonly stored: Stored[];
}

async function storedOf(audit: string): Promise<Stored[]> {
  const text = await readFile(join(audit, '000000000000.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l).r);
}

async function written(name: string): Promise<Written> {
  const audit = join(root, name, 'audit');
  const keyDir = join(root, name, 'keys');
  const w = await writeSharedContextLog(
    { core, testing, audit: await import('@writ/audit'), z },
    { dir: audit, keyDir },
  );
  return { audit, keyDir, verifierKey: w.verifierKey, taskIds: w.taskIds, stored: await storedOf(audit) };
}

/** Appends `events` with the log's own writer and key: the log still verifies. */
async function appendByHand(log: Written, events: readonly Record<string, unknown>[]): Promise<void> {
  const sink = await createFileAuditSink({ dir: log.audit, keyDir: log.keyDir });
  for (const event of events) await sink.append(event as unknown as AuditEvent, { durability: 'strict' });
  await sink.close?.();
}

/** The first decision record of `taskId` as stored, and the digest of its shared context. */
function firstDecision(log: Written, taskId: string) {
  const record = log.stored.find((r) => r.kind === 'decision' && r.taskId === taskId) as Stored;
  return { record, digest: record.decision.sharedContext.digest as string };
}

/** A copy of a stored decision record of `taskId`, as a new call, with `sharedContext` replaced. */
function handMade(log: Written, taskId: string, sharedContext: unknown): Record<string, unknown> {
  const { record } = firstDecision(log, taskId);
  const id = crypto.randomUUID();
  return {
    ...record,
    id,
    call: { ...record.call, id },
    decision: { ...record.decision, decisionId: crypto.randomUUID(), sharedContext },
  };
}

const decisionWithId = (records: readonly { record?: unknown }[], id: string) =>
  records.find((r) => (r.record as { id?: string } | undefined)?.id === id);

describe.concurrent('shared evaluated context: references that do not resolve in their task', () => {
  it(
    attack(
      'shared-context-foreign',
      "a decision record made to refer to another task's shared context is named (verify --deep, readVerifiedLog, explain) and is never shown with that task's context",
    ),
    async () => {
      const log = await written('foreign');
      const [a, b] = log.taskIds as [string, string];
      const forged = handMade(log, a, { digest: firstDecision(log, b).digest });
      await appendByHand(log, [forged]);

      const verdict = await verifyLog(log.audit, { verifierKey: log.verifierKey, deep: true });
      expect(verdict.ok).toBe(true); // the bytes are as the key holder wrote them
      expect(verdict.warnings.join('\n')).toMatch(/\(decision\): shared-context-foreign: .*held by task /);

      const { records, verification } = await readVerifiedLog(log.audit, { verifierKey: log.verifierKey });
      const read = decisionWithId(records, forged.id as string) as {
        record: Stored;
        finding?: { kind: string };
      };
      expect(read.finding?.kind).toBe('shared-context-foreign');
      expect(read.record.decision.evaluatedContext.subject).toBeUndefined(); // as stored: not task b's
      expect(verification?.warnings.some((w) => w.includes('shared-context-foreign'))).toBe(true);

      const [task] = await explainLog(log.audit, { taskId: a }, { verifierKey: log.verifierKey });
      const call = task?.calls.find((c) => c.callId === (forged.call as { id: string }).id);
      expect(call?.decision.evaluatedContext?.context.taskId).toBeUndefined();

      const text = await runCli(['explain', log.audit, '--task', a, '--key', log.verifierKey]);
      expect(text.stdout + text.stderr).toMatch(/shared-context-foreign/);
      const asJson = await runCli(['explain', log.audit, '--task', a, '--key', log.verifierKey, '--json']);
      expect(JSON.parse(asJson.stdout).verification.warnings.join('\n')).toMatch(/shared-context-foreign/);
    },
  );

  it(
    attack(
      'shared-context-missing',
      'a reference whose shared context is in no record of its task (a hand-made record; the record that held it cut) is a named finding, never a silent gap',
    ),
    async () => {
      // a hand-made record referring to a value no record holds
      const log = await written('missing');
      const [a] = log.taskIds as [string];
      const forged = handMade(log, a, { digest: `sha256:${'0'.repeat(64)}` });
      await appendByHand(log, [forged]);
      const verdict = await verifyLog(log.audit, { verifierKey: log.verifierKey, deep: true });
      expect(verdict.warnings.join('\n')).toMatch(
        /\(decision\): shared-context-missing: .*no decision record of task/,
      );
      const { records } = await readVerifiedLog(log.audit, { verifierKey: log.verifierKey });
      expect(
        (decisionWithId(records, forged.id as string) as { finding?: { kind: string } }).finding?.kind,
      ).toBe('shared-context-missing');
      const unverified = await runCli(['explain', log.audit, '--task', a, '--unverified']);
      expect(unverified.stdout + unverified.stderr).toMatch(
        /✖ record \d+ \(decision\): shared-context-missing/,
      );

      // the record that held it cut out of the log: verification fails there, and every record that
      // referred to it is named, not shown as if its context were known
      const cut = await written('cut');
      const segment = join(cut.audit, '000000000000.jsonl');
      const lines = (await readFile(segment, 'utf8')).split('\n');
      const holder = lines.findIndex(
        (l) => l.includes('"sharedContext":{"digest":') && l.includes('"value":'),
      );
      const taskId = JSON.parse(lines[holder] as string).r.taskId as string;
      await writeFile(segment, lines.filter((_, i) => i !== holder).join('\n'));
      const read = await readVerifiedLog(cut.audit, { verifierKey: cut.verifierKey });
      expect(read.verification?.ok).toBe(false);
      const referring = read.records.filter(
        (r) => r.record?.kind === 'decision' && r.record.taskId === taskId,
      );
      expect(referring.length).toBeGreaterThan(0);
      for (const r of referring) expect(r.finding?.kind).toBe('shared-context-missing');
    },
  );

  it(
    attack(
      'shared-context-swapped-value',
      "a decision record holding another task's shared context (its value and digest copied) is named, and its task's references never resolve to it",
    ),
    async () => {
      const log = await written('swapped');
      const [a, b] = log.taskIds as [string, string];
      const theirs = firstDecision(log, b).record.decision.sharedContext;
      const holder = handMade(log, a, theirs);
      const referring = handMade(log, a, { digest: theirs.digest });
      await appendByHand(log, [holder, referring]);

      const verdict = await verifyLog(log.audit, { verifierKey: log.verifierKey, deep: true });
      expect(verdict.warnings.join('\n')).toMatch(/shared-context-mismatch: .*of another task /);
      const { records } = await readVerifiedLog(log.audit, { verifierKey: log.verifierKey });
      const held = decisionWithId(records, holder.id as string) as { finding?: { kind: string } };
      expect(held.finding?.kind).toBe('shared-context-mismatch');
      const ref = decisionWithId(records, referring.id as string) as {
        record: Stored;
        finding?: { kind: string };
      };
      expect(ref.finding?.kind).toBe('shared-context-foreign');
      expect(ref.record.decision.evaluatedContext.subject).toBeUndefined();
    },
  );
});
