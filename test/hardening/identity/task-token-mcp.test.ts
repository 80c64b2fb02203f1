// Hostile task tokens through the public entry of a downstream service: a real MCP SDK server
// instrumented with @writ/mcp (`instrumentServer(server, { writ, agent, verifyTaskToken })`, where
// `verifyTaskToken` wraps @writ/identity's), called by a real MCP client. On success the server continues
// the caller's task with `writ.task({ inbound })`; a refused token must not run the tool and must be
// recorded in the server agent's own task. Tokens arrive in `params._meta` (InMemoryTransport), and a
// subset again over Streamable HTTP on loopback, in the `Txn-Token` header and as the bearer token.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalAuthority, mintTaskToken, verifyTaskToken } from '@writ/identity';
import { REFUSAL_META_KEY } from '@writ/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorityKey } from '../../../packages/identity/src/__support__/forge.js';
import {
  ORDERS_AUDIENCE,
  type Parties,
  setupParties,
  text,
} from '../../../packages/mcp/src/__support__/parties.js';
import {
  aliceAttribution,
  CLIENT_AGENT,
  HTTP_TASK_TOKEN_CASES,
  TASK_TOKEN_CASES,
  type TaskTokenCtx,
  taskTokenKit,
} from './cases/task-token.js';
import {
  caseTest,
  checkMcpRefusal,
  checkTally,
  expectAbsent,
  type HostileCase,
  LeakWatch,
  logText,
  type McpEvidence,
  secretsOf,
  Tally,
  tallyTitle,
} from './support.js';

const SERVER_AGENT = 'spiffe://orders.example/agent/orders-mcp';
type Via = 'meta' | 'txn-token header' | 'bearer token';

let sameIssuerOtherKey: string;
let attackerDir: string;
const watch = new LeakWatch();

beforeAll(async () => {
  watch.start();
  // another install that calls its trust domain support.example too: same issuer name, its own key
  attackerDir = await mkdtemp(join(tmpdir(), 'writ-hostile-mcp-attacker-'));
  const attacker = await createLocalAuthority({ dir: attackerDir, trustDomain: 'support.example' });
  sameIssuerOtherKey = (
    await mintTaskToken(attacker, {
      attribution: aliceAttribution(CLIENT_AGENT),
      audience: attacker.issuer,
      ttlSec: 300,
    })
  ).token;
});
afterAll(async () => {
  await watch.stop();
  await rm(attackerDir, { recursive: true, force: true });
});

/**
 * Two zero-config sides (the caller's and the MCP server's) with the server verifying credentials for
 * its own audience against the caller's authority, revocations included (what a deployment shares with
 * its services).
 */
async function parties(): Promise<Parties> {
  let p: Parties | undefined;
  p = await setupParties({
    client: false, // the caller is hostile: it writes `_meta` and headers by hand
    server: {
      verifyTaskToken: async (token, { audience }) => {
        const { authority, revocations } = await (p as Parties).client.writ.ready();
        return verifyTaskToken(token, {
          issuer: authority.issuer,
          audience,
          jwks: authority.jwks(),
          isRevoked: revocations?.isRevoked,
        });
      },
    },
  });
  return p;
}

async function contextOf(p: Parties): Promise<TaskTokenCtx> {
  const { authority } = await p.client.writ.ready();
  const key = authorityKey(join(p.client.dir, 'keys'));
  return {
    authority,
    key,
    kit: taskTokenKit(authority, key, ORDERS_AUDIENCE),
    aliceToken: p.aliceToken,
    endedTaskToken: () => p.asAlice(async ({ token }) => token),
    sameIssuerOtherKey,
  };
}

/** Connects the client (so that `token` travels where `via` says) and calls `lookup_order` once. */
async function call(p: Parties, token: string | undefined, via: Via): Promise<Record<string, unknown>> {
  const args = { name: 'lookup_order', arguments: { orderId: '42' } };
  watch.reset();
  if (via === 'meta') {
    await p.connectInMemory();
    return p.mcpClient.callTool(
      token === undefined ? args : { ...args, _meta: { 'io.writ/txn-token': token } },
    );
  }
  const headers: Record<string, string> =
    token === undefined
      ? {}
      : via === 'txn-token header'
        ? { 'txn-token': token }
        : { authorization: `Bearer ${token}` };
  await p.connectHttp({ headers });
  return p.mcpClient.callTool(args);
}

/** Closes both sides (logs checkpointed) and gathers the server's evidence. */
async function evidence(p: Parties, result: Record<string, unknown>): Promise<McpEvidence> {
  await p.close();
  return {
    result,
    ran: [...p.ran],
    records: await p.server.records(),
    verified: await p.server.verify(),
    text: await logText(join(p.server.dir, 'audit')),
    emitted: watch.emitted(),
  };
}

const tallies: Record<Via, Tally> = {
  meta: new Tally(),
  'txn-token header': new Tally(),
  'bearer token': new Tally(),
};

function table(via: Via, cases: readonly HostileCase<TaskTokenCtx>[]) {
  it(`baseline (${via}): the caller's genuine credential for this server continues its task and the tool runs`, async () => {
    const p = await parties();
    try {
      const { task, token, result } = await p.asAlice(async ({ token, attribution }) => ({
        task: attribution,
        token,
        result: await call(p, token, via),
      }));
      const e = await evidence(p, result);
      expect(text(e.result)).toBe('{"orderId":"42","status":"shipped"}');
      expect(e.ran).toEqual(['lookup_order:42']);
      expect(e.records[0]).toMatchObject({
        kind: 'task-start',
        status: 'started',
        taskId: task.taskId,
        requester: { id: 'alice@example.com', assurance: 'verified' },
      });
      expect(e.verified.ok).toBe(true);
      // the caller's credential crossed the boundary but is nowhere in records or telemetry (item 7)
      expect(watch.spanCount()).toBeGreaterThan(0);
      expectAbsent(
        { records: e.text, telemetry: e.emitted, result: JSON.stringify(e.result) },
        secretsOf(token),
      );
    } finally {
      await p.cleanup();
    }
  });

  cases.forEach((c) => {
    caseTest(c, `[${via}] `, async () => {
      const p = await parties();
      try {
        const token = await c.input(await contextOf(p));
        const e = await evidence(p, await call(p, token, via));
        checkMcpRefusal(tallies[via], c, e, {
          token,
          refusalKey: REFUSAL_META_KEY,
          serverAgent: SERVER_AGENT,
          markers: ['from-the-token', 'alice@example.com'],
        });
      } finally {
        await p.cleanup();
      }
    });
  });

  it(tallyTitle(` (${via})`, cases), () => {
    checkTally(tallies[via], cases);
  });
}

describe('task tokens in params._meta of an MCP call (InMemoryTransport)', () => {
  table('meta', TASK_TOKEN_CASES);
});

describe('task tokens over MCP Streamable HTTP on loopback', () => {
  table('txn-token header', HTTP_TASK_TOKEN_CASES);
  table('bearer token', HTTP_TASK_TOKEN_CASES);
});
