// Issue 9 item 4 (crash). Builds on packages/audit/src/crash.test.ts: that one kills a hand-assembled
// pipeline; this one kills the zero-config runtime (`createWrit({ dir })`: local authority, shipped Cedar
// policy, strict file log) while it has 10,000 tool calls in flight, 20 times. After every kill the log is
// reopened by a fresh zero-config runtime (its file sink repairs a torn tail), the resumed runtime makes
// one more call, the log verifies deeply with the pinned key, and every call id the side channel saw
// (written and fdatasynced by the tool before it did anything) has an `allow` decision record.
// A SIGKILL seldom lands inside a write() of the log, so 4 of the kills also get the torn line such a
// crash leaves appended to the log (simulated, and named so): the reopened sink must cut it off.
// The kill delay (50–400 ms) is counted from "ready" for 4 kills (they land while the 10,000 calls are
// still being authorised, before any tool ran) and from the first execution for 16 (they land while tools
// run and decision/outcome records are being written): 10,000 calls launched at once spend ~8 s in
// authorisation on this machine before the first tool runs, so a delay counted from start-up alone would
// almost never interrupt an execution.
// The child runs against the built packages, like the audit crash test (`npm test` builds first).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import {
  type KillRun,
  readRecords,
  removeDir,
  runAndKill,
  tearTail,
  tempDir,
  verifyDeep,
} from './support.js';

/** Kills measured from "ready" land while the 10,000 calls are being authorised (nothing ran yet). */
const FROM_READY = 4;
/** Kills measured from the first execution land while tools run and records are being written. */
const FROM_FLOWING = 16;
/** Two children at a time (this machine has two cores). */
const LANES = 2;

let root: string;
beforeAll(async () => {
  root = await tempDir('writ-hardening-crash-');
});
afterAll(async () => {
  await removeDir(root);
});

interface Verdict {
  readonly run: KillRun;
  readonly executed: number;
  readonly decisions: number;
  readonly missing: number;
  readonly partialSideLines: number;
  readonly repairedBytes: number;
  /** Bytes of a simulated torn write added after the kill (0 when none). */
  readonly tornBytes: number;
  readonly verified: boolean;
  readonly resumedRecords: number;
  readonly recordsBefore: number;
}

async function killAndCheck(i: number, from: 'ready' | 'flowing', tear: boolean): Promise<Verdict> {
  const dir = join(root, `run-${i}`);
  const side = join(root, `run-${i}.side`);
  const run = await runAndKill(dir, side, from, 50 + Math.random() * 350);
  // a SIGKILL rarely lands inside a write(); for some runs, add the torn line such a kill leaves
  const tornBytes = tear ? await tearTail(join(dir, 'audit')) : 0;

  // reopen with a fresh zero-config runtime: its file sink repairs a torn tail and resumes the log
  const writ = createWrit({ dir });
  const { fileAudit } = await writ.ready();
  const opened = fileAudit?.opened ?? { records: 0, repairedBytes: 0 };
  const ping = writ.tool({
    name: 'after_restart',
    risk: 'low',
    input: z.object({}),
    execute: async () => 'resumed',
  });
  const resumed = await writ.task({ agent: 'restarted' }, () => ping.execute({}));
  await writ.close();
  const audit = join(dir, 'audit');
  const result = await verifyDeep(audit, fileAudit?.verifierKey);

  const allowed = new Set<string>();
  let decisions = 0;
  for (const r of await readRecords(audit)) {
    if (r.kind !== 'decision') continue;
    decisions++;
    if (r.decision.effect === 'allow' && r.refusal === undefined) allowed.add(r.call.id);
  }
  const lines = (await readFile(side, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0);
  const executed = lines.filter((id) => id.length === 36);
  const missing = executed.filter((id) => !allowed.has(id));
  return {
    run,
    executed: executed.length,
    decisions,
    missing: missing.length,
    partialSideLines: lines.length - executed.length,
    repairedBytes: opened.repairedBytes,
    tornBytes,
    verified: result.ok && result.keyPinned && resumed === 'resumed',
    resumedRecords: result.records,
    recordsBefore: opened.records,
  };
}

describe('crash (slow): SIGKILL the zero-config runtime with 10,000 calls in flight', () => {
  it(`${FROM_READY + FROM_FLOWING} kills: each log repairs, verifies, resumes, and every execution has its allow decision record`, async () => {
    const plan: ('ready' | 'flowing')[] = [
      ...Array.from({ length: FROM_READY }, () => 'ready' as const),
      ...Array.from({ length: FROM_FLOWING }, () => 'flowing' as const),
    ];
    const verdicts: Verdict[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < plan.length) {
          const i = next++;
          const from = plan[i] as 'ready' | 'flowing';
          verdicts.push(await killAndCheck(i, from, from === 'flowing' && i % 4 === 3));
        }
      }),
    );

    const executed = verdicts.reduce((n, v) => n + v.executed, 0);
    const missing = verdicts.reduce((n, v) => n + v.missing, 0);
    const repaired = verdicts.filter((v) => v.repairedBytes > 0).length;
    const simulated = verdicts.filter((v) => v.tornBytes > 0);
    console.log(
      `crash: ${verdicts.length} kills (${FROM_READY} from ready, ${FROM_FLOWING} from first execution), ` +
        `${executed} executions seen by the side channel, ${missing} without an allow decision record, ` +
        `${repaired} torn tails repaired (${simulated.length} simulated), ${verdicts.reduce((n, v) => n + v.decisions, 0)} decision records`,
    );

    expect(verdicts).toHaveLength(FROM_READY + FROM_FLOWING);
    for (const v of verdicts) {
      expect(v.run.signal).toBe('SIGKILL');
      expect(v.verified, JSON.stringify(v)).toBe(true);
      expect(v.missing, JSON.stringify(v)).toBe(0);
      expect(v.partialSideLines).toBe(0);
      // the resumed runtime appended to the same log: it holds more than what survived the kill
      expect(v.resumedRecords).toBeGreaterThan(v.recordsBefore);
      expect(v.decisions).toBeGreaterThanOrEqual(v.executed);
    }
    // every kill measured from the first execution interrupted tools that had already run
    for (const v of verdicts.filter((x) => x.run.from === 'flowing')) expect(v.executed).toBeGreaterThan(0);
    // every simulated torn write was cut off when the log was reopened
    expect(simulated).toHaveLength(4);
    for (const v of simulated) expect(v.repairedBytes).toBeGreaterThanOrEqual(v.tornBytes);
    expect(missing).toBe(0);
  }, 600_000);
});
