// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before running.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildFixtureLog, type FixtureLog, runCli, tamperedCopy, tempDir } from '../__support__/cli.js';

/** The documented `writ verify --json` schema (README, VerifyJson). */
const verifyJson = z.strictObject({
  ok: z.boolean(),
  state: z.enum(['anchored', 'unanchored', 'unpinned', 'failed']),
  log: z.string().min(1),
  origin: z.string().startsWith('writ/audit/'),
  records: z.number().int().nonnegative(),
  checkpoints: z.number().int().nonnegative(),
  sealed: z.number().int().nonnegative(),
  covered: z.number().int().nonnegative(),
  root: z.string().min(1),
  keyPinned: z.boolean(),
  anchorSize: z.number().int().nonnegative().nullable(),
  witnesses: z
    .strictObject({
      ok: z.boolean(),
      threshold: z.number().int().positive(),
      size: z.number().int().nonnegative().nullable(),
      cosignatures: z.array(
        z.strictObject({
          name: z.string(),
          keyId: z.string().regex(/^[0-9a-f]{8}$/),
          timestamp: z.number().int(),
        }),
      ),
      problem: z.enum(['no-published-checkpoint', 'too-few-cosignatures', 'not-newest']).nullable(),
    })
    .nullable(),
  firstBadIndex: z.number().int().nonnegative().nullable(),
  reason: z.string().nullable(),
  unproven: z.array(z.string()),
  warnings: z.array(z.string()),
});

let fixture: FixtureLog;
beforeAll(async () => {
  fixture = await buildFixtureLog(await tempDir());
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

describe.concurrent('writ verify', () => {
  it('exits 0 for an intact log verified with a pinned key and anchored, text output names the counts', async () => {
    const anchor = join(fixture.logDir, 'checkpoint');
    const r = await runCli(['verify', fixture.logDir, '--key', fixture.verifierKey, '--checkpoint', anchor]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^✔ verified and anchored .*audit: \d+ records, [1-9]\d* checkpoint\(s\), \d+ sealed; the given checkpoint covers \d+\n/,
    );
    expect(r.stdout).toContain('pinned (given)');
    expect(r.stdout).not.toContain('cannot rule out');
    expect(r.stdout).not.toContain('\u001b['); // not a terminal: no colour
  });

  it('exits 4 with the pinned key alone (unanchored), and says what that cannot rule out', async () => {
    const r = await runCli(['verify', fixture.logDir, '--key', fixture.verifierKey]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^✔ verified, unanchored .*audit: \d+ records, [1-9]\d* checkpoint\(s\)/);
    expect(r.stdout).toContain('pinned (given)');
    expect(r.stdout).toMatch(/\n {2}cannot rule out: truncation at a seal: /);
    expect(r.stdout).toMatch(/\n {2}cannot rule out: rollback: /);
  });

  it('--json prints one document matching the documented schema', async () => {
    const anchor = join(fixture.logDir, 'checkpoint');
    const r = await runCli([
      'verify',
      fixture.logDir,
      '--key',
      fixture.verifierKey,
      '--checkpoint',
      anchor,
      '--json',
      '--deep',
    ]);
    expect(r.code).toBe(0);
    const result = verifyJson.parse(JSON.parse(r.stdout));
    expect(result).toMatchObject({
      ok: true,
      state: 'anchored',
      keyPinned: true,
      firstBadIndex: null,
      reason: null,
      unproven: [],
    });
    expect(result.records).toBeGreaterThan(10);
    expect(result.sealed).toBe(result.records - 1); // closed cleanly: the last record is a checkpoint
    expect(result.covered).toBe(result.records); // and the published checkpoint covers that one too
    expect(result.anchorSize).toBe(result.records);
    expect(result.warnings).toEqual([]);
    const unanchored = await runCli(['verify', fixture.logDir, '--key', fixture.verifierKey, '--json']);
    expect(unanchored.code).toBe(4);
    expect(verifyJson.parse(JSON.parse(unanchored.stdout))).toMatchObject({
      ok: true,
      state: 'unanchored',
      anchorSize: null,
      unproven: [expect.stringMatching(/^truncation at a seal: /), expect.stringMatching(/^rollback: /)],
    });
  });

  it('exits 5 and never says verified when the key is read from the log itself (not pinned)', async () => {
    const text = await runCli(['verify', fixture.logDir]);
    expect(text.code).toBe(5);
    expect(text.stdout).toMatch(
      /^⚠ unpinned .*audit: \d+ records consistent with the key the log names itself/,
    );
    expect(text.stdout).not.toMatch(/✔|\bverified\b/);
    expect(text.stdout).toContain('read from the log (not pinned)');
    expect(text.stdout).toMatch(/⚠ warning: the verifier key was read from the log itself/);
    const json = verifyJson.parse(JSON.parse((await runCli(['verify', fixture.logDir, '--json'])).stdout));
    expect(json).toMatchObject({ ok: true, state: 'unpinned', keyPinned: false });
    expect(json.unproven[0]).toMatch(/^replacement: a log rewritten and re-signed with another key/);
    expect(json.warnings[0]).toMatch(/read from the log itself/);
  });

  it('reads the key from --key-file and an independent checkpoint from --checkpoint', async () => {
    const keyFile = join(fixture.dir, 'verifier.key');
    await writeFile(keyFile, `${fixture.verifierKey}\n`);
    const r = await runCli([
      'verify',
      fixture.logDir,
      '--key-file',
      keyFile,
      '--checkpoint',
      join(fixture.logDir, 'checkpoint'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(verifyJson.parse(JSON.parse(r.stdout))).toMatchObject({
      ok: true,
      state: 'anchored',
      keyPinned: true,
    });
  });

  it('exits 1 for a tampered copy and names the first bad record', async () => {
    const copy = join(fixture.dir, 'tampered');
    await tamperedCopy(fixture.logDir, copy, 3);
    const text = await runCli(['verify', copy, '--key', fixture.verifierKey]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('✖ does not verify');
    expect(text.stdout).toContain('first bad record: 3');
    expect(text.stdout).toMatch(/reason: record 3 was altered/);
    const json = await runCli(['verify', copy, '--key', fixture.verifierKey, '--json']);
    expect(json.code).toBe(1);
    expect(verifyJson.parse(JSON.parse(json.stdout))).toMatchObject({
      ok: false,
      state: 'failed',
      firstBadIndex: 3,
      unproven: ['nothing from record 3 on is proven'],
    });
  });

  it('exits 1 when checked against another log key', async () => {
    const other = await buildFixtureLog(await tempDir());
    try {
      const r = await runCli(['verify', fixture.logDir, '--key', other.verifierKey, '--json']);
      expect(r.code).toBe(1);
      const result = verifyJson.parse(JSON.parse(r.stdout));
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/does not verify|signature/);
    } finally {
      await rm(other.dir, { recursive: true, force: true });
    }
  });

  it('exits 3 with code: message (no stack) for a log directory that cannot be read; --debug adds the stack', async () => {
    const r = await runCli(['verify', join(fixture.dir, 'nowhere')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^WRIT_AUDIT_UNAVAILABLE: .*nowhere cannot be read\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = await runCli(['verify', join(fixture.dir, 'nowhere'), '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'WRIT_AUDIT_UNAVAILABLE', message: expect.stringMatching(/nowhere cannot be read$/) },
    });
    const debug = await runCli(['verify', join(fixture.dir, 'nowhere'), '--debug']);
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['verify'])).code).toBe(2);
    const both = await runCli(['verify', fixture.logDir, '--key', 'a', '--key-file', 'b']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --key or --key-file/);
    const pg = await runCli(['verify', 'postgres://localhost:1/db']);
    expect(pg.code).toBe(2);
    expect(pg.stderr).toMatch(/needs --log <id>/);
    const log = await runCli(['verify', fixture.logDir, '--log', 'x']);
    expect(log.code).toBe(2);
    expect((await runCli(['verify', fixture.logDir, '--bogus'])).code).toBe(2);
  });
});
