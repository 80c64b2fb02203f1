// Hostile OIDC requester tokens through the public entry: a zero-config Writ whose identity is
// `composeIdentity({ requesters: createOidcRequesterVerifier({ issuer, audience }), agents: local })`
// against a real OpenID Provider (oidc-provider on loopback), and `writ.task({ requester: token, agent })`.
import { join } from 'node:path';
import {
  composeIdentity,
  createLocalAuthority,
  createLocalIdentity,
  createOidcRequesterVerifier,
} from '@writ/identity';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENTS,
  loginWithAuthorizationCode,
  PAYMENTS_API,
  REDIRECT_URI,
  signingKeys,
  startOp,
  type TestOp,
} from '../../../packages/identity/src/oidc/__support__/op.js';
import type { TokenKit } from './cases/common.js';
import {
  type GenuineOidcTokens,
  OIDC_REQUESTER_CASES,
  type OidcCase,
  OTHER_CLIENT,
  oidcKit,
} from './cases/oidc-requester.js';
import {
  attemptTask,
  caseTest,
  checkTally,
  checkTaskRefusal,
  createHarness,
  expectAbsent,
  type Harness,
  LeakWatch,
  secretsOf,
  Tally,
  tallyTitle,
} from './support.js';

let op: TestOp;
let otherOp: TestOp;
let keys: JWK[];
let kit: TokenKit;
let genuine: GenuineOidcTokens;
const tally = new Tally();
const watch = new LeakWatch();

async function clientCredentialsAccessToken(target: TestOp): Promise<string> {
  const response = await fetch(new URL('/token', target.issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${CLIENTS.agent.id}:${CLIENTS.agent.secret}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: PAYMENTS_API,
      scope: 'payments:read',
    }).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as { access_token?: string };
  if (typeof body.access_token !== 'string') throw new Error(`client credentials: HTTP ${response.status}`);
  return body.access_token;
}

beforeAll(async () => {
  watch.start();
  keys = await signingKeys();
  const otherClient = {
    client_id: OTHER_CLIENT.id,
    client_secret: OTHER_CLIENT.secret,
    redirect_uris: [REDIRECT_URI],
    id_token_signed_response_alg: 'ES256',
  };
  // the second OP signs with different keys under the same kids, so only the signature tells them apart
  [op, otherOp] = await Promise.all([
    startOp({ keys, clients: [otherClient] }),
    startOp({ keys: await signingKeys() }),
  ]);
  const [mine, hs256, other, foreign, accessToken] = await Promise.all([
    loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'alice' }),
    loginWithAuthorizationCode(op, { client: CLIENTS.webappHs256, accountId: 'alice' }),
    loginWithAuthorizationCode(op, { client: OTHER_CLIENT, accountId: 'alice' }),
    loginWithAuthorizationCode(otherOp, { client: CLIENTS.webapp, accountId: 'alice' }),
    clientCredentialsAccessToken(op),
  ]);
  genuine = {
    idToken: mine.idToken,
    hs256IdToken: hs256.idToken,
    otherClientIdToken: other.idToken,
    otherOpIdToken: foreign.idToken,
    accessToken,
  };
  kit = oidcKit(op, keys);
});
afterAll(() => Promise.all([watch.stop(), op?.close(), otherOp?.close()]));

/** A zero-config Writ whose requesters are verified by the OP (agents stay on the local authority). */
function oidcHarness(verifier: OidcCase['verifier'] = {}): Promise<Harness> {
  return createHarness(async (dir) => ({
    identity: composeIdentity({
      requesters: createOidcRequesterVerifier({
        issuer: op.issuer,
        audience: CLIENTS.webapp.id,
        ...verifier,
      }),
      agents: createLocalIdentity({ authority: await createLocalAuthority({ dir: join(dir, 'keys') }) }),
    }),
  }));
}

describe('OIDC requester tokens against oidc-provider, through writ.task', () => {
  it('baseline: the OP-issued ID token runs the tool as a verified alice', async () => {
    const h = await oidcHarness();
    try {
      const e = await attemptTask(
        h,
        { requester: genuine.idToken, agent: 'support-bot', correlationId: 'baseline' },
        watch,
      );
      expect(e.error).toBeUndefined();
      expect(e.ran).toEqual(['42']);
      expect(e.records[0]).toMatchObject({
        kind: 'task-start',
        status: 'started',
        requester: { id: 'alice', issuer: op.issuer, assurance: 'verified' },
      });
      expect(e.verified.ok).toBe(true);
      // the ID token and the task credential are nowhere in records or telemetry (item 7)
      expect(watch.spanCount()).toBeGreaterThan(0);
      expectAbsent({ records: e.text, telemetry: e.emitted }, [
        ...secretsOf(genuine.idToken),
        ...secretsOf(e.credential),
      ]);
    } finally {
      await h.cleanup();
    }
  });

  OIDC_REQUESTER_CASES.forEach((c, i) => {
    caseTest(c, '', async () => {
      const h = await oidcHarness(c.verifier);
      try {
        const token = await c.input({ op, kit, genuine });
        const e = await attemptTask(
          h,
          { requester: token, agent: 'support-bot', correlationId: `oidc-${i}` },
          watch,
        );
        // the name claim of alice's tokens is only ever recorded once a token verified
        checkTaskRefusal(tally, c, e, { input: token, markers: ['Alice Example'] });
      } finally {
        await h.cleanup();
      }
    });
  });

  it(tallyTitle('', OIDC_REQUESTER_CASES), () => {
    checkTally(tally, OIDC_REQUESTER_CASES);
  });
});
