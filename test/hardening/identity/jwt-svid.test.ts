// Hostile JWT-SVIDs through the public entry: a zero-config Writ whose agents come from
// `createSpiffeIdentity({ client: createWorkloadApiClient(...), audience: 'writ' })` and
// `writ.task({ agent })`. The Workload API is a gRPC server built from the published workload.proto (no
// SPIRE agent can run here): it serves each case's SVID exactly as given, with real trust bundles.
import { join } from 'node:path';
import {
  composeIdentity,
  createLocalAuthority,
  createLocalIdentity,
  createSpiffeIdentity,
  createWorkloadApiClient,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeWorkloadApi,
  type FakeWorkloadApi,
} from '../../../packages/identity/src/spiffe/__support__/fake-workload-api.js';
import {
  createTestAuthority,
  type TestAuthority,
} from '../../../packages/identity/src/spiffe/__support__/svid-fixtures.js';
import { AGENT, AGENT_ID, JWT_SVID_CASES, type SvidCase, type SvidCtx, svidKit } from './cases/jwt-svid.js';
import {
  attemptTask,
  caseTest,
  checkTally,
  checkTaskRefusal,
  createHarness,
  type Evidence,
  LeakWatch,
  Tally,
  tallyTitle,
} from './support.js';

const PROTOCOL = 'Workload API per the published workload.proto (no SPIRE agent here)';

let fake: FakeWorkloadApi;
let ctx: SvidCtx;
const tally = new Tally();
const watch = new LeakWatch();

beforeAll(async () => {
  watch.start();
  const trusted: TestAuthority = createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' });
  const attacker = createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' });
  const partner = createTestAuthority('partner.org', { alg: 'ES256', kid: 'partner-1' });
  ctx = { trusted, attacker, partner, kit: svidKit(trusted, attacker) };
  fake = createFakeWorkloadApi();
  await fake.start();
});
afterAll(async () => {
  await watch.stop();
  await fake?.dispose();
});

/** Serves `token` as the agent's SVID and runs one task for the agent through a fresh Writ. */
async function throughWorkloadApi(
  token: string,
  c: Pick<SvidCase, 'spiffeId' | 'spiffe' | 'trustPartner'>,
  correlationId: string,
): Promise<Evidence> {
  fake.svids = [{ spiffeId: c.spiffeId ?? AGENT_ID, mint: () => token }];
  fake.setBundles({
    'spiffe://example.org': ctx.trusted.jwks(),
    ...(c.trustPartner ? { 'spiffe://partner.org': ctx.partner.jwks() } : {}),
  });
  const client = createWorkloadApiClient({
    endpoint: fake.endpoint,
    retry: { initialDelayMs: 2, maxDelayMs: 20 },
  });
  const agents = createSpiffeIdentity({ client, audience: 'writ', ...c.spiffe });
  const h = await createHarness(async (dir) => ({
    identity: composeIdentity({
      requesters: createLocalIdentity({ authority: await createLocalAuthority({ dir: join(dir, 'keys') }) }),
      agents,
    }),
  }));
  try {
    return await attemptTask(h, { agent: AGENT, correlationId }, watch);
  } finally {
    agents.close();
    client.close();
    await h.cleanup();
  }
}

describe(`JWT-SVIDs from the ${PROTOCOL}, through writ.task`, () => {
  it('baseline: a genuine SVID gives the agent its verified SPIFFE ID and the tool runs', async () => {
    const e = await throughWorkloadApi(ctx.trusted.mint({ sub: AGENT_ID }), {}, 'baseline');
    expect(e.error).toBeUndefined();
    expect(e.ran).toEqual(['42']);
    expect(e.records[0]).toMatchObject({
      kind: 'task-start',
      status: 'started',
      chain: [{ id: AGENT_ID, assurance: 'verified' }],
    });
    expect(e.verified.ok).toBe(true);
  });

  JWT_SVID_CASES.forEach((c, i) => {
    caseTest(c, '', async () => {
      const token = await c.input(ctx);
      const e = await throughWorkloadApi(token, c, `svid-${i}`);
      checkTaskRefusal(tally, c, e, { input: token });
    });
  });

  it(tallyTitle('', JWT_SVID_CASES), () => {
    checkTally(tally, JWT_SVID_CASES);
  });
});
