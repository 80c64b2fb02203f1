// Issue 23 item 2: the credentials revoked at the end of a task are carried by its task-end record
// (one record fewer per task). Logs written before keep a revocation record of their own before the
// task-end: both forms must verify and explain to the same revoked credentials.
import {
  createFileAuditSink,
  explainLog,
  formatExplain,
  type LogRecord,
  readLines,
  verifyLog,
} from '@writ/audit';
import { createWrit } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { createInMemoryCredentialBroker, createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTempDir } from './__support__/log.js';

let dir: string;
useTempDir('writ-explain-revocation-', (path) => {
  dir = path;
});

async function records(logDir: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const line of readLines(logDir)) out.push(JSON.parse(line.bytes.toString('utf8')).r);
  return out;
}

describe('revocation at task end', () => {
  it('is on the task-end record, and a log with separate revocation records (older logs) explains the same', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/new`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      credentials: createInMemoryCredentialBroker(),
      policy: createInMemoryPolicy({ fallback: 'allow' }),
    });
    const pay = writ.tool({
      name: 'refund_order',
      audience: 'https://payments.example.com',
      input: z.object({ id: z.string() }),
      execute: async (_args, ctx) => ctx.credential?.jti,
    });
    const { taskId, callJti, taskJti } = await writ.task({ agent: 'support' }, async (task) => ({
      taskId: task.attribution.taskId,
      taskJti: task.credential?.jti,
      callJti: await pay.execute({ id: '42' }),
    }));
    await writ.close();

    const written = await records(audit.dir);
    expect(written.map((r) => r.kind)).toEqual([
      'task-start',
      'decision',
      'outcome',
      'task-end',
      'checkpoint',
    ]);
    const end = written.find((r) => r.kind === 'task-end') as AuditEvent & { kind: 'task-end' };
    expect(end.revoked?.map((c) => c.jti).sort()).toEqual([taskJti, callJti].sort());

    // the same task as a log written before the fold: a revocation record, then a task-end without it
    const old = await createFileAuditSink({ dir: `${dir}/old`, keyDir: `${dir}/keys` });
    for (const r of written) {
      if (r.kind === 'checkpoint') continue;
      if (r.kind === 'task-end') {
        const { revoked, ...rest } = r;
        await old.append(
          { ...rest, id: `${rest.id}-r`, kind: 'revocation', credentials: revoked ?? [], reason: 'task-end' },
          { durability: 'batched' },
        );
        await old.append(rest, { durability: 'batched' });
      } else {
        await old.append(r as AuditEvent, { durability: 'batched' });
      }
    }
    await old.close?.();
    expect((await records(old.dir)).map((r) => r.kind)).toContain('revocation');

    for (const log of [audit, old]) {
      expect((await verifyLog(log.dir, { verifierKey: log.verifierKey })).ok).toBe(true);
      const [task] = await explainLog(log.dir, { taskId }, { verifierKey: log.verifierKey });
      expect(task?.revoked.map((c) => c.jti).sort(), log.dir).toEqual([taskJti, callJti].sort());
      expect(task?.end).toEqual({ status: 'ok' });
      expect(formatExplain([task as NonNullable<typeof task>])).toContain(
        'revoked 2 credential(s) at task end',
      );
    }
  });
});
