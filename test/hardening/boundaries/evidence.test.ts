// Issue 18 items 4, 5 and 9: what `writ verify`, `writ explain` and `writ report` say about a log someone
// with access to its storage (not its key) has cut back, extended, rewritten and re-signed, or changed by
// one byte.
// They run the BUILT binary, as an investigator would: build first (npx turbo run build).
import { copyFile, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFixtureLog,
  type FixtureLog,
  runCli,
  tempDir,
} from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';
import {
  alteredCopy,
  appendedCopy,
  cutCopy,
  originOf,
  resignedLog,
  type SealedLog,
  sealedLog,
} from './evidence-logs.js';

let dir: string;
let sealed: SealedLog;
let fixture: FixtureLog;
beforeAll(async () => {
  dir = await tempDir('writ-evidence-');
  sealed = await sealedLog(join(dir, 'sealed'));
  fixture = await buildFixtureLog(join(dir, 'fixture'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe.concurrent('verification states (items 4, 5)', () => {
  it(
    attack(
      'verify-cut-at-seal',
      'a log cut back to an earlier seal, its published checkpoint deleted or rolled back, is not "verified" with a pinned key alone, and fails against a checkpoint held elsewhere',
    ),
    async () => {
      const deleted = join(dir, 'cut-deleted');
      await cutCopy(sealed.logDir, deleted, sealed.early.size);
      await unlink(join(deleted, 'checkpoint'));
      const rolledBack = join(dir, 'cut-rolled-back');
      await cutCopy(sealed.logDir, rolledBack, sealed.early.size);
      await copyFile(sealed.early.note, join(rolledBack, 'checkpoint'));
      const removed = sealed.size - sealed.early.size;
      expect(removed).toBeGreaterThan(10);

      for (const cut of [deleted, rolledBack]) {
        // with the pinned key only, nothing outside the log says how long it was: not "verified and
        // anchored", and the result says what it cannot rule out
        const pinned = await runCli(['verify', cut, '--key', sealed.verifierKey, '--json']);
        expect(pinned.code, cut).toBe(4);
        const result = json(pinned.stdout);
        expect(result).toMatchObject({ ok: true, state: 'unanchored', records: sealed.early.size });
        expect((result.unproven as string[]).join('\n')).toMatch(/truncat|cut off/);
        expect((result.unproven as string[]).join('\n')).toMatch(/roll(ed)? ?back|older copy/);
        const text = await runCli(['verify', cut, '--key', sealed.verifierKey]);
        expect(text.code).toBe(4);
        expect(text.stdout).toMatch(/^✔ verified, unanchored /);
        expect(text.stdout).toMatch(/cannot rule out: .*(truncat|cut off)/);

        // a checkpoint the verifier kept elsewhere catches the cut, at the first record removed
        const anchored = await runCli([
          'verify',
          cut,
          '--key',
          sealed.verifierKey,
          '--checkpoint',
          sealed.anchor,
          '--json',
        ]);
        expect(anchored.code).toBe(1);
        expect(json(anchored.stdout)).toMatchObject({
          ok: false,
          state: 'failed',
          firstBadIndex: sealed.early.size,
          reason: `the log ends at ${sealed.early.size} records but the given checkpoint covers ${sealed.size}: records were removed`,
        });
      }
      // the deleted checkpoint file is named: the log holds seals but publishes none
      const warned = json((await runCli(['verify', deleted, '--key', sealed.verifierKey, '--json'])).stdout);
      expect(warned.warnings).toContainEqual(expect.stringMatching(/publishes no checkpoint/));

      // the intact log against the same anchor: verified and anchored, exit 0
      const intact = await runCli([
        'verify',
        sealed.logDir,
        '--key',
        sealed.verifierKey,
        '--checkpoint',
        sealed.anchor,
        '--json',
      ]);
      expect(intact.code).toBe(0);
      expect(json(intact.stdout)).toMatchObject({
        ok: true,
        state: 'anchored',
        anchorSize: sealed.size,
        unproven: [],
      });
    },
  );

  it(
    attack(
      'verify-forged-tail',
      'a record chained on after the last checkpoint, with no key, is not proven: verify exits 4 saying so, explain marks it',
    ),
    async () => {
      const forged = join(dir, 'forged-tail');
      const index = await appendedCopy(sealed.logDir, forged, 1, (record) => {
        record.id = 'forged';
        record.intent = 'Pay invoice 999';
      });
      const evidence = ['--key', sealed.verifierKey, '--checkpoint', sealed.anchor];
      const r = await runCli(['verify', forged, ...evidence, '--json']);
      expect(r.code).toBe(4);
      const result = json(r.stdout);
      expect(result).toMatchObject({ ok: true, state: 'anchored', records: index + 1, covered: index });
      expect(result.unproven).toEqual([
        `the 1 record(s) after the ${index} the independent checkpoint covers are not anchored: records after a later checkpoint could have been cut off`,
        `the 1 record(s) from record ${index} on are under no checkpoint signature yet: whoever can write the log could have changed or added them without the key`,
      ]);
      const taskId = (
        JSON.parse((await readFile(join(forged, '000000000000.jsonl'), 'utf8')).split('\n')[1] as string) as {
          r: { taskId: string };
        }
      ).r.taskId;
      const explained = await runCli(['explain', forged, '--task', taskId, ...evidence]);
      expect(explained.code).toBe(4);
      expect(explained.stdout).toMatch(
        new RegExp(
          `pay_invoice #\\S+ \\[record ${index}\\]\\n.*⚠ not sealed yet: record ${index} \\(decision\\)`,
        ),
      );
    },
  );

  it(
    attack(
      'verify-resigned-unpinned',
      'a log rewritten and re-signed with the attacker key is never called verified without a pinned key, by verify or report, and fails with the pinned key',
    ),
    async () => {
      const forged = join(dir, 'forged');
      await resignedLog(await originOf(sealed.logDir), forged);

      const text = await runCli(['verify', forged]);
      expect(text.code).toBe(5);
      expect(text.stdout).not.toMatch(/✔|\bverified\b/i);
      expect(text.stdout).toMatch(/^⚠ unpinned /);
      expect(text.stdout).toMatch(/re-signed/);
      const result = json((await runCli(['verify', forged, '--json'])).stdout);
      expect(result).toMatchObject({ ok: true, state: 'unpinned', keyPinned: false });
      expect((result.unproven as string[]).join('\n')).toMatch(/re-signed/);

      const page = join(dir, 'forged.html');
      const report = await runCli(['report', forged, '--html', page]);
      expect(report.code).toBe(5);
      expect(report.stdout).not.toMatch(/\bverified\b/i);
      const html = await readFile(page, 'utf8');
      expect(html).not.toContain('Log verified');
      expect(html).toContain('data-status="unpinned"');

      // pinned: the attacker's checkpoints do not verify
      const pinned = await runCli(['verify', forged, '--key', sealed.verifierKey, '--json']);
      expect(pinned.code).toBe(1);
      expect(json(pinned.stdout)).toMatchObject({ ok: false, state: 'failed', firstBadIndex: 0 });
    },
  );
});

describe.concurrent('explain and report verify first (item 9)', () => {
  /** The refund's decision record with its approver changed by one byte: maria → marib. */
  const alterApprover = (to: string) =>
    alteredCopy(
      fixture.logDir,
      to,
      (line) => line.includes('"kind":"decision"') && line.includes('"id":"call-refund"'),
      (line) => line.replace('maria@example.com', 'marib@example.com'),
    );

  it(
    attack(
      'explain-altered-record',
      'a one-byte, JSON-valid change (the approver) is marked as not verifying, never printed as fact with exit 0',
    ),
    async () => {
      const copy = join(dir, 'approver');
      const index = await alterApprover(copy);

      for (const key of [[], ['--key', fixture.verifierKey]]) {
        const r = await runCli(['explain', copy, '--call', 'call-refund', ...key]);
        expect(r.code, key.join(' ')).toBe(1);
        expect(r.stdout).toMatch(new RegExp(`^✖ does not verify: first bad record ${index}: `));
        // the changed call is shown, marked where it is shown
        expect(r.stdout).toMatch(
          new RegExp(
            `refund_order #call-refund \\[record ${index}\\]\\n.*✖ not verified: (record \\d+ \\(\\w+\\), )*record ${index} \\(decision\\)`,
          ),
        );
      }
      const doc = json((await runCli(['explain', copy, '--call', 'call-refund', '--json'])).stdout);
      expect(doc.verification).toMatchObject({ state: 'failed', firstBadIndex: index });
      const [task] = doc.tasks as { calls: { evidence: string; records: unknown[] }[] }[];
      expect(task?.calls[0]?.evidence).toBe('failed');
      expect(task?.calls[0]?.records).toContainEqual({ index, kind: 'decision', evidence: 'failed' });
    },
  );

  it(
    attack(
      'explain-unreadable-record',
      'a change that breaks a record\'s JSON names that record; it is never dropped as "nothing matches"',
    ),
    async () => {
      const copy = join(dir, 'broken');
      const index = await alteredCopy(
        fixture.logDir,
        copy,
        (line) => line.includes('"kind":"decision"') && line.includes('"id":"call-delete"'),
        (line) => line.replace('"id":"call-delete"', '"id":"call-delete'),
      );
      const r = await runCli(['explain', copy, '--call', 'call-delete']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^✖ does not verify: first bad record ${index}: `));
      expect(`${r.stdout}${r.stderr}`).toMatch(
        new RegExp(`record ${index} cannot be read \\(not valid JSON\\)`),
      );
      const doc = json(
        (await runCli(['explain', copy, '--call', 'call-delete', '--key', fixture.verifierKey, '--json']))
          .stdout,
      );
      expect(doc.unreadable).toEqual([{ index, reason: 'not valid JSON', evidence: 'failed' }]);
    },
  );

  it(
    attack(
      'report-altered-record',
      'the report of a log with a changed record marks that call in its table and graph, and exits non-zero',
    ),
    async () => {
      const copy = join(dir, 'approver-report');
      const index = await alterApprover(copy);
      const page = join(dir, 'approver.html');
      const r = await runCli(['report', copy, '--html', page, '--key', fixture.verifierKey]);
      expect(r.code).toBe(1);
      const html = await readFile(page, 'utf8');
      expect(html).toMatch(/<tr data-verdict="approval" data-call-id="call-refund" data-evidence="failed"/);
      expect(html).toMatch(/<g class="node call[^"]*" data-call-id="call-refund"[^>]*data-evidence="failed"/);
      expect(html).toContain(`✖ not verified: record ${index - 1} (approval), record ${index} (decision)`);
    },
  );
});
