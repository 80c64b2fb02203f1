// A child process appending under load is SIGKILLed at a random moment; the log must reopen (repairing
// a torn tail), verify, and hold a decision record for every tool execution the side channel saw.
// Runs against the built packages (npm test builds first).
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFileAuditSink, readLines, verifyLog } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './__support__/log.js';

const CHILD = fileURLToPath(new URL('./__support__/crash-child.mjs', import.meta.url));
let root: string;
beforeAll(async () => {
  root = await tempDir('writ-crash-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function runAndKill(dir: string, keyDir: string, side: string, killAfterMs: number): Promise<void> {
  const child = spawn(process.execPath, [CHILD, dir, keyDir, side], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, killAfterMs));
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('crash: SIGKILL while appending under load', () => {
  it('reopens with a repaired tail, verifies, and every executed call has its decision record', async () => {
    const dir = join(root, 'audit');
    const keyDir = join(root, 'keys');
    const side = join(root, 'executed.txt');
    let kills = 0;
    let repaired = 0;
    let previous = 0;
    for (const delay of [150 + Math.random() * 300, 50 + Math.random() * 400, 400 + Math.random() * 400]) {
      await runAndKill(dir, keyDir, side, delay);
      kills++;
      const sink = await createFileAuditSink({ dir, keyDir });
      if (sink.opened.repairedBytes > 0) repaired++;
      await sink.close?.();
      const result = await verifyLog(dir, { verifierKey: sink.verifierKey });
      expect(result.ok, result.reason).toBe(true);

      const decided = new Set<string>();
      for await (const line of readLines(dir)) {
        const r = JSON.parse(line.bytes.toString('utf8')).r;
        if (r.kind === 'decision') decided.add(r.call.id);
      }
      const executed = (await readFile(side, 'utf8')).split('\n').filter((id) => id.length === 36);
      previous = executed.length;
      const missing = executed.filter((id) => !decided.has(id));
      if (missing.length > 0 && process.env.WRIT_DEBUG) {
        const raw = await readFile(join(dir, '000000000000.jsonl'), 'utf8');
        console.log(
          'MISSING',
          missing.slice(0, 3),
          'in raw log:',
          missing.slice(0, 3).map((id) => raw.includes(id)),
          'decided',
          decided.size,
          'executed',
          executed.length,
          'dup',
          executed.length - new Set(executed).size,
        );
      }
      expect(missing, `${missing.length} executions without a decision record after kill ${kills}`).toEqual(
        [],
      );
    }
    // kills land at random moments (some before the first tool ran); overall, real work was interrupted
    expect(previous).toBeGreaterThan(250);
    if (process.env.WRIT_DEBUG)
      console.log(`kills ${kills}, torn tails repaired ${repaired}, executions ${previous}`);
  }, 120_000);
});
