// Hostile requester tokens against the zero-config runtime: `createWrit({ dir })` (local authority,
// shipped Cedar policy, strict file audit) and `writ.task({ requester: token, agent })`, the entry a
// user hits. Every case: typed WritError code and reason, the tool never ran, one refused task-start
// record with that code, and the log verifies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalAuthority, createLocalIdentity } from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REQUESTER_CASES, type LocalCtx, localKit } from './cases/local-requester.js';
import {
  attemptTask,
  caseTest,
  checkTally,
  checkTaskRefusal,
  createHarness,
  expectAbsent,
  type HostileCase,
  LeakWatch,
  secretsOf,
  Tally,
  tallyTitle,
} from './support.js';

let foreignDir: string;
let foreignToken: string;
const tally = new Tally();
const watch = new LeakWatch();

beforeAll(async () => {
  watch.start();
  // another developer's zero-config install: same default trust domain, so the same issuer name
  foreignDir = await mkdtemp(join(tmpdir(), 'writ-hostile-foreign-'));
  const foreign = await createLocalAuthority({ dir: foreignDir });
  foreignToken = await createLocalIdentity({ authority: foreign }).issueRequesterToken({
    sub: 'admin@example.com',
  });
});
afterAll(async () => {
  await watch.stop();
  await rm(foreignDir, { recursive: true, force: true });
});

async function run(c: HostileCase<LocalCtx>, index: number) {
  const h = await createHarness();
  try {
    const { authority } = await h.writ.ready();
    const kit = localKit(authority, join(h.dir, 'keys'));
    const token = await c.input({ authority, key: kit.key, foreignToken, kit });
    const evidence = await attemptTask(
      h,
      { requester: token, agent: 'support-bot', correlationId: `local-${index}` },
      watch,
    );
    checkTaskRefusal(tally, c, evidence, { input: token, markers: ['alice@example.com'] });
  } finally {
    await h.cleanup();
  }
}

describe('zero-config local authority: hostile requester tokens through writ.task', () => {
  it('baseline: a genuine local requester token runs the tool, so the side channel can see a run', async () => {
    const h = await createHarness();
    try {
      const { localIdentity } = await h.writ.ready();
      const token = (await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' })) as string;
      const e = await attemptTask(
        h,
        { requester: token, agent: 'support-bot', correlationId: 'baseline' },
        watch,
      );
      expect(e.error).toBeUndefined();
      expect(e.ran).toEqual(['42']);
      expect(e.records.map((r) => r.kind)).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
      expect(e.records[0]).toMatchObject({
        status: 'started',
        requester: { id: 'alice@example.com', assurance: 'verified' },
      });
      expect(e.verified.ok).toBe(true);
      // the genuine credentials (requester token, task token) are nowhere either (item 7)
      expect(e.credential).toEqual(expect.any(String));
      expect(watch.spanCount()).toBeGreaterThan(0);
      expectAbsent({ records: e.text, telemetry: e.emitted }, [
        ...secretsOf(token),
        ...secretsOf(e.credential),
      ]);
    } finally {
      await h.cleanup();
    }
  });

  LOCAL_REQUESTER_CASES.forEach((c, i) => {
    caseTest(c, '', () => run(c, i));
  });

  it(tallyTitle('', LOCAL_REQUESTER_CASES), () => {
    checkTally(tally, LOCAL_REQUESTER_CASES);
  });
});
