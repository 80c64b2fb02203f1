// Test support: builds real logs through the public pipeline and file sink.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileAuditSink, type FileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import type { AuditEvent } from '@writ/core/plugin';
import { createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { z } from 'zod';

export async function tempDir(prefix = 'writ-audit-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A fresh temporary directory, handed to `use`, for each test (`'each'`) or for the file's tests
 * (`'all'`), removed after them.
 */
export function useTempDir(prefix: string, use: (dir: string) => void, scope: 'each' | 'all' = 'each'): void {
  let dir: string | undefined;
  (scope === 'each' ? beforeEach : beforeAll)(async () => {
    dir = await tempDir(prefix);
    use(dir);
  });
  (scope === 'each' ? afterEach : afterAll)(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}

/** A synthetic but schema-valid event. */
export function event(n: number, taskId = `task-${Math.floor(n / 10)}`): AuditEvent {
  return {
    v: 1,
    id: `evt-${n}`,
    time: new Date(1_790_000_000_000 + n).toISOString(),
    service: 'test',
    taskId,
    correlationId: 'corr',
    requester: { kind: 'human', id: `user-${n % 7}@example.com`, assurance: 'verified' },
    chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/a', name: 'a', assurance: 'verified' }],
    autonomous: false,
    kind: 'task-end',
    status: 'ok',
    durationMs: n % 100,
  };
}

/** A file log of `count` synthetic records (plus checkpoints), closed cleanly. */
export async function buildLog(
  dir: string,
  count: number,
  options: {
    checkpointEvery?: number;
    maxSegmentBytes?: number;
    batch?: number;
    /** `mixed`: every other record `async` (encoded later, in a batch), the rest `batched`. */
    durability?: 'batched' | 'mixed';
  } = {},
): Promise<FileAuditSink> {
  const { batch: size = 500, durability: mode = 'batched', ...sinkOptions } = options;
  const sink = await createFileAuditSink({
    dir: join(dir, 'audit'),
    keyDir: join(dir, 'keys'),
    ...sinkOptions,
  });
  for (let start = 0; start < count; start += size) {
    const batch = [];
    for (let n = start; n < Math.min(count, start + size); n++)
      batch.push(
        sink.append(event(n), { durability: mode === 'mixed' && n % 2 === 1 ? 'async' : 'batched' }),
      );
    await Promise.all(batch);
  }
  await sink.close?.();
  return sink;
}

export async function copyLog(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}

/** A Writ instance writing to a file log, with tools that record when they run. */
export async function pipeline(dir: string) {
  const audit = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
  const writ = createWrit({
    service: 'support',
    audit,
    policy: createInMemoryPolicy({
      rules: [{ id: 'no-deletes', effect: 'deny', tool: 'delete_customer' }],
      fallback: 'allow',
    }),
  });
  return { audit, writ, z };
}
