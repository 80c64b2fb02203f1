import { join } from 'node:path';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { createFileAuditSink, createOtelLogSink, teeAuditSink, verifyLog } from '@writ/audit';
import { createWrit, type WritError } from '@writ/core';
import { createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTempDir } from './__support__/log.js';

let dir: string;
useTempDir('writ-otel-logs-', (path) => {
  dir = path;
});

describe('OpenTelemetry logs export (real OTel logs SDK, in-memory exporter)', () => {
  it('mirrors every event as a log record beside the tamper-evident file log', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
    const file = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
    const audit = teeAuditSink(file, createOtelLogSink({ logger: provider.getLogger('writ-audit') }));
    // the file sink's syncs cover everything before them; the tee keeps its primary's durability
    expect([file.orderedSync, audit.orderedSync]).toEqual([true, true]);
    const writ = createWrit({
      audit,
      policy: createInMemoryPolicy({ rules: [{ effect: 'deny', tool: 'wipe' }], fallback: 'allow' }),
    });
    const read = writ.tool({ name: 'read', input: z.object({}), execute: async () => 1 });
    const wipe = writ.tool({ name: 'wipe', input: z.object({}), execute: async () => 2 });
    await writ.task({ agent: 'a' }, async () => {
      await read.execute({});
      await wipe.execute({}).catch(() => undefined);
    });
    await writ.close();

    const records = exporter.getFinishedLogRecords();
    expect(records.map((r) => r.eventName)).toEqual([
      'writ.audit.task-start',
      'writ.audit.decision',
      'writ.audit.outcome',
      'writ.audit.decision',
      'writ.audit.outcome',
      'writ.audit.task-end',
    ]);
    const denied = records[3];
    expect(denied?.severityText).toBe('WARN');
    expect(denied?.attributes).toMatchObject({
      'gen_ai.tool.name': 'wipe',
      'writ.policy.effect': 'deny',
      'error.type': 'WRIT_POLICY_DENIED',
    });
    expect(JSON.parse(String(denied?.body)).decision.effect).toBe('deny');
    expect((await verifyLog(file.dir, { verifierKey: file.verifierKey })).ok).toBe(true);
  });

  it('a failing mirror is reported and never stops the call', async () => {
    const errors: WritError[] = [];
    const file = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
    const broken = createOtelLogSink({
      logger: {
        emit() {
          throw new Error('collector down');
        },
      },
    });
    const writ = createWrit({
      audit: teeAuditSink(file, broken, { onError: (e) => errors.push(e) }),
      policy: createInMemoryPolicy({ fallback: 'allow' }),
    });
    const read = writ.tool({ name: 'read', input: z.object({}), execute: async () => 'ran' });
    await expect(writ.task({ agent: 'a' }, () => read.execute({}))).resolves.toBe('ran');
    await writ.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.message).toContain('otel-logs');
  });
});
