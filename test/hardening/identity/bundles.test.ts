// Hostile JWT bundles through the public entry: a zero-config Writ whose agents come from
// `createSpiffeIdentity` and `writ.task({ agent })`. Two real delivery paths: the sidecar's bundle file
// (`createJwtSvidFileSource`, re-read after the sidecar rewrote it) and the Workload API's bundle stream
// (a gRPC server built from the published workload.proto; no SPIRE agent can run here).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import {
  composeIdentity,
  createJwtSvidFileSource,
  createLocalAuthority,
  createLocalIdentity,
  createSpiffeIdentity,
  createWorkloadApiClient,
  type SpiffeIdentity,
} from '@writ/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeWorkloadApi,
  type FakeWorkloadApi,
} from '../../../packages/identity/src/spiffe/__support__/fake-workload-api.js';
import { createTestAuthority } from '../../../packages/identity/src/spiffe/__support__/svid-fixtures.js';
import { BUNDLE_CASES, type BundleCase, type BundleCtx } from './cases/bundle.js';
import { AGENT, AGENT_ID } from './cases/jwt-svid.js';
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

let fake: FakeWorkloadApi;
let ctx: BundleCtx;
const tally = new Tally();
const watch = new LeakWatch();
/** The trusted private key's "d": the private-key cases put it in a bundle; it must surface nowhere. */
let privateD: string;

beforeAll(async () => {
  watch.start();
  ctx = {
    trusted: createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' }),
    attacker: createTestAuthority('example.org', { alg: 'ES256', kid: 'spire-1' }),
    partner: createTestAuthority('partner.org', { alg: 'ES256', kid: 'partner-1' }),
    rsaUnderTrustedKid: createTestAuthority('example.org', { alg: 'RS256', kid: 'spire-1' }),
  };
  privateD = (ctx.trusted.privateKey.export({ format: 'jwk' }) as { d: string }).d;
  fake = createFakeWorkloadApi();
  await fake.start();
});
afterAll(async () => {
  await watch.stop();
  await fake?.dispose();
});

/** A Writ whose agent identity is `agents`; runs one task for the agent. */
async function runWith(
  agents: SpiffeIdentity,
  correlationId: string,
  identityMs?: number,
): Promise<Evidence> {
  const h = await createHarness(async (dir) => ({
    identity: composeIdentity({
      requesters: createLocalIdentity({ authority: await createLocalAuthority({ dir: join(dir, 'keys') }) }),
      agents,
    }),
    ...(identityMs === undefined ? {} : { timeouts: { identityMs } }),
  }));
  try {
    return await attemptTask(h, { agent: AGENT, correlationId }, watch);
  } finally {
    await h.cleanup();
  }
}

/**
 * The sidecar path: the files start out good (the source loads), then the sidecar rewrites the bundle
 * file with `bundle` and the source re-reads it; the agent's task comes after.
 */
async function throughFiles(bundle: string | undefined, correlationId: string) {
  const dir = await mkdtemp(join(tmpdir(), 'writ-hostile-bundle-'));
  const svidPath = join(dir, 'jwt_svid.token');
  const bundlePath = join(dir, 'jwt_bundle.json');
  await writeFile(svidPath, ctx.trusted.mint({ sub: AGENT_ID }));
  await writeFile(bundlePath, JSON.stringify({ 'spiffe://example.org': ctx.trusted.jwks() }));
  const files = await createJwtSvidFileSource({ svidPath, bundlePath, watch: 'off' });
  let reload: unknown;
  if (bundle !== undefined) {
    await writeFile(bundlePath, bundle);
    reload = await files.reload().then(
      () => undefined,
      (e: unknown) => e,
    );
  }
  const agents = createSpiffeIdentity({ files, audience: 'writ' });
  try {
    return { evidence: await runWith(agents, correlationId), reload };
  } finally {
    agents.close();
    await files.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Workload API path: `bundle` is the only JWT bundle message for example.org on the stream. */
async function throughStream(
  bundle: string | undefined,
  correlationId: string,
  identityMs?: number,
): Promise<Evidence> {
  fake.svids = [{ spiffeId: AGENT_ID, mint: (aud) => ctx.trusted.mint({ sub: AGENT_ID, aud }) }];
  fake.setBundles({ 'spiffe://example.org': bundle ?? ctx.trusted.jwks() });
  const client = createWorkloadApiClient({
    endpoint: fake.endpoint,
    retry: { initialDelayMs: 2, maxDelayMs: 20 },
  });
  const agents = createSpiffeIdentity({ client, audience: 'writ' });
  try {
    return await runWith(agents, correlationId, identityMs);
  } finally {
    agents.close();
    client.close();
  }
}

describe('hostile JWT bundles, through writ.task', () => {
  it('baseline: with good bundles (file and stream) the genuine SVID is verified and the tool runs', async () => {
    const { evidence: file } = await throughFiles(undefined, 'baseline-file');
    const stream = await throughStream(undefined, 'baseline-stream');
    for (const e of [file, stream]) {
      expect(e.error).toBeUndefined();
      expect(e.ran).toEqual(['42']);
      expect(e.records[0]).toMatchObject({
        status: 'started',
        chain: [{ id: AGENT_ID, assurance: 'verified' }],
      });
      expect(e.verified.ok).toBe(true);
    }
  });

  BUNDLE_CASES.forEach((c: BundleCase, i) => {
    const where = c.via === 'file' ? 'sidecar bundle file' : 'Workload API stream (published protocol)';
    caseTest(c, `[${where}] `, async () => {
      const bundle = await c.input(ctx);
      if (c.via === 'file') {
        const { evidence, reload } = await throughFiles(bundle, `bundle-${i}`);
        // a bundle that cannot be read is refused as soon as the sidecar writes it, with the same code
        // (the source then refuses until the files are fixed); one that reads fine just trusts less
        if (['WRIT_IDENTITY_INVALID', 'WRIT_SPIFFE_ID_INVALID'].includes(c.code)) {
          expect(WritError.isInstance(reload, c.code), String(reload)).toBe(true);
        } else {
          expect(reload).toBeUndefined();
        }
        checkTaskRefusal(tally, c, evidence, { input: bundle, markers: [privateD] });
      } else {
        // a stream whose every message is discarded never becomes ready: a short identity deadline
        // (the refusal does not depend on it; it only bounds the wait)
        const deadline = c.message === undefined ? undefined : 1_000;
        checkTaskRefusal(tally, c, await throughStream(bundle, `bundle-${i}`, deadline), {
          input: bundle,
          markers: [privateD],
        });
      }
    });
  });

  it(tallyTitle('', BUNDLE_CASES), () => {
    checkTally(tally, BUNDLE_CASES);
  });
});
