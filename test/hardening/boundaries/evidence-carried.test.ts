// Issue 21 item 2: carry what the callee needs to stand alone. Two real runtimes (alice's support desk,
// whose requesters an identity provider of their own verifies, and the orders MCP server with its own
// key, trust domain and log) over the MCP SDK's in-memory transport, traced with a real OTel SDK. The
// credential the desk sends carries the intent digest, the requester's identity provider and assurance,
// the desk's log origin and the span of the call; the server records them from the signed token only,
// and the BUILT `writ explain` joins both logs on them. Build first (npx turbo run build).
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { readVerifiedLog } from '@writ/audit';
import { TASK_TOKEN_META_KEY } from '@writ/core/adapter';
import { sha256Hex } from '@writ/core/plugin';
import {
  composeIdentity,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  verifyTaskToken,
} from '@writ/identity';
import { instrumentClient, instrumentServer } from '@writ/mcp';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { runCli } from '../../../packages/cli/src/__support__/cli.js';
import { setupTracing, type Tracing } from '../../../packages/core/src/__support__/otel.js';
import { type LogRecord, readRecords } from '../../../packages/mcp/src/__support__/sides.js';
import { attack } from './attacks.js';
import { ORDERS, text } from './mcp-world.js';

const IDP = 'https://login.support.example';
const INTENT = 'Where is order 42?';

let dir: string;
let tracing: Tracing;
let idp: LocalAuthority;
let desk: WritRuntime;
let orders: WritRuntime;
let deskAuthority: LocalAuthority;
let deskLog: string;
let ordersLog: string;
/** Every credential the orders server's tool handlers were sent. */
const received: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
let deskRecords: LogRecord[];
let ordersRecords: LogRecord[];
/** The desk's delegated task whose tool called the server. */
let delegated: string;
/** Task ids the server continued from hand-made (hostile or older) credentials. */
let unsignedTask: string;
let olderTask: string;
let assertedTask: string;

const anchorOf = async (log: string, name: string) => {
  const kept = join(dir, 'anchors', name);
  await cp(join(log, 'checkpoint'), kept);
  return kept;
};
const keyOf = async (writ: WritRuntime) => {
  const { verifierKey } = await writ.publicKeys();
  if (verifierKey === undefined) throw new Error('no verifier key');
  return verifierKey;
};

/** A raw MCP client of the orders server (no Writ): it sends whatever `_meta` it is given. */
async function rawClient(): Promise<Client> {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  instrumentServer(server, {
    writ: orders,
    agent: 'orders-mcp',
    audience: ORDERS,
    verifyTaskToken: (token, { audience }) =>
      verifyTaskToken(token, { issuer: deskAuthority.issuer, audience, jwks: deskAuthority.jwks() }),
    tools: { lookup_order: { permission: 'orders:read' } },
  });
  server.registerTool('lookup_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }, req) => {
    const token = req._meta?.[TASK_TOKEN_META_KEY];
    if (typeof token === 'string') received.push(token);
    return { content: [{ type: 'text', text: `order ${orderId}: shipped` }] };
  });
  const client = new Client({ name: 'support-bot', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await client.connect(a);
  closers.push(
    () => client.close(),
    () => server.close(),
  );
  return client;
}

/** The desk's authority signing exactly these claims as a credential for the orders server. */
async function credential(over: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return deskAuthority.sign(
    {
      iss: deskAuthority.issuer,
      sub: 'alice@example.com',
      aud: ORDERS,
      txn: `hand-made-${Math.random().toString(36).slice(2)}`,
      scope: 'orders:read',
      iat: now,
      exp: now + 60,
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      req_wl: 'spiffe://support.example/agent/support-bot',
      act: { sub: 'spiffe://support.example/agent/support-bot' },
      tctx: { correlation_id: 'corr-hand-made' },
      ...over,
    },
    { typ: 'at+jwt' },
  );
}

const lookup = (client: Client, token: string, meta: Record<string, unknown> = {}) =>
  client.callTool({
    name: 'lookup_order',
    arguments: { orderId: '42' },
    _meta: { ...meta, [TASK_TOKEN_META_KEY]: token },
  });

const startOf = (taskId: string) =>
  ordersRecords.find((r) => r.kind === 'task-start' && r.taskId === taskId) as LogRecord;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-carried-'));
  await mkdir(join(dir, 'anchors'));
  tracing = setupTracing({ propagators: true });
  // the identity provider that verifies the desk's requesters: not the desk's own authority
  idp = await createLocalAuthority({
    dir: join(dir, 'idp'),
    trustDomain: 'login.support.example',
    issuer: IDP,
  });
  const agents = {
    agentIdentity: async (agent: string) => ({
      kind: 'agent' as const,
      id: `spiffe://support.example/agent/${agent}`,
      name: agent,
      issuer: 'spiffe://support.example',
      assurance: 'verified' as const,
    }),
  };
  desk = createWrit({
    dir: join(dir, 'desk'),
    service: 'support-desk',
    trustDomain: 'support.example',
    identity: composeIdentity({ requesters: createLocalIdentity({ authority: idp }), agents }),
    telemetry: { tracer: tracing.tracer },
  });
  orders = createWrit({
    dir: join(dir, 'orders'),
    service: 'orders-mcp',
    trustDomain: 'orders.example',
    telemetry: { tracer: tracing.tracer },
  });
  deskAuthority = (await desk.ready()).authority;
  await orders.ready();
  deskLog = join(dir, 'desk', 'audit');
  ordersLog = join(dir, 'orders', 'audit');

  // 1. the real chain: alice (verified by the IdP) → support-bot → order-reader → the orders server
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  instrumentServer(server, {
    writ: orders,
    agent: 'orders-mcp',
    audience: ORDERS,
    verifyTaskToken: (token, { audience }) =>
      verifyTaskToken(token, { issuer: deskAuthority.issuer, audience, jwks: deskAuthority.jwks() }),
    tools: { lookup_order: { permission: 'orders:read' } },
  });
  server.registerTool('lookup_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => ({
    content: [{ type: 'text', text: `order ${orderId}: shipped` }],
  }));
  const toOrders = instrumentClient(new Client({ name: 'support-bot', version: '1.0.0' }), {
    audience: ORDERS,
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await toOrders.connect(a);
  closers.push(
    () => toOrders.close(),
    () => server.close(),
  );
  const lookupRemote = desk.tool({
    name: 'lookup_remote_order',
    permission: 'orders:read',
    audience: ORDERS,
    input: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) =>
      text(await toOrders.callTool({ name: 'lookup_order', arguments: { orderId } })),
  });
  const alice = await createLocalIdentity({ authority: idp }).issueRequesterToken({
    sub: 'alice@example.com',
  });
  await desk.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'], intent: INTENT }, () =>
    desk.delegate({ agent: 'order-reader', scope: ['orders:read'] }, async (sub) => {
      delegated = sub.attribution.taskId;
      expect(await lookupRemote.execute({ orderId: '42' })).toBe('order 42: shipped');
    }),
  );

  // 2. hand-made credentials sent by a raw client: hostile `_meta`, an older caller, an asserted requester
  const raw = await rawClient();
  const unsigned = await credential({});
  unsignedTask = decodeJwt(unsigned).txn as string;
  await lookup(raw, unsigned, {
    baggage: `writ.correlation_id=corr-x,writ.intent_digest=${sha256Hex('Refund everything')},writ.requester_issuer=https%3A%2F%2Fevil.example,writ.caller_log=evil-log,writ.caller_span=00000000000000ee`,
    'io.writ/intent-digest': sha256Hex('Refund everything'),
    'io.writ/requester': { issuer: 'https://evil.example', assurance: 'verified' },
    'io.writ/caller-log': 'evil-log',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-00000000000000ee-01',
  });
  const older = await credential({});
  olderTask = decodeJwt(older).txn as string;
  expect(text(await lookup(raw, older))).toBe('order 42: shipped');
  const asserted = await credential({
    sub_id: { format: 'iss_sub', iss: IDP, sub: 'alice@example.com' },
    tctx: { correlation_id: 'corr-asserted', req_assurance: 'asserted' },
  });
  assertedTask = decodeJwt(asserted).txn as string;
  await lookup(raw, asserted);

  for (const close of closers) await close();
  await desk.close();
  await orders.close();
  deskRecords = await readRecords(deskLog);
  ordersRecords = await readRecords(ordersLog);
}, 60_000);

afterAll(async () => {
  await tracing?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe("what the caller's credential carries, the callee records (issue 21 item 2)", () => {
  it(
    attack(
      'inbound-carried-recorded',
      "the server's task-start records the audience, intent digest, IdP and assurance, desk log and call span the signed credential carried; its requester names the IdP via the desk's token; explain over both logs shows them and joins on the span",
    ),
    async () => {
      const call = deskRecords.find((r) => r.kind === 'decision' && r.call.name === 'lookup_remote_order');
      expect(call?.spanId).toMatch(/^[0-9a-f]{16}$/);
      const deskOrigin = (await readFile(join(deskLog, 'checkpoint'), 'utf8')).split('\n')[0];
      const start = startOf(delegated);
      expect(start.inbound).toEqual({
        audience: [ORDERS],
        callerLog: deskOrigin,
        callerSpanId: call?.spanId,
        expiresAt: expect.any(Number),
        intentDigest: sha256Hex(INTENT),
        issuer: deskAuthority.issuer,
        jti: call?.credential.jti,
        requester: { assurance: 'verified', issuer: IDP },
      });
      // the IdP, not the desk's authority, vouches for alice; the desk's token carried it here
      expect(start.requester).toEqual({
        assurance: 'verified',
        id: 'alice@example.com',
        issuer: IDP,
        kind: 'human',
        via: deskAuthority.issuer,
      });
      // the server's decision records carry the same requester (policies see where it came from)
      const decided = ordersRecords.find((r) => r.kind === 'decision' && r.taskId === delegated);
      expect(decided?.requester).toMatchObject({ issuer: IDP, via: deskAuthority.issuer });

      const evidence = [
        '--key',
        `${deskLog}=${await keyOf(desk)}`,
        '--checkpoint',
        `${deskLog}=${await anchorOf(deskLog, 'desk')}`,
        '--key',
        `${ordersLog}=${await keyOf(orders)}`,
        '--checkpoint',
        `${ordersLog}=${await anchorOf(ordersLog, 'orders')}`,
      ];
      const args = ['explain', deskLog, ordersLog, '--task', delegated, ...evidence];
      const json = await runCli([...args, '--json']);
      expect(json.stderr).toBe('');
      const doc = JSON.parse(json.stdout);
      expect(doc.findings).toEqual([]);
      expect(doc.links).toHaveLength(1);
      const callee = doc.tasks[0].calls[0].callees[0];
      expect(callee.inbound).toEqual([start.inbound]);
      const out = await runCli(args);
      console.log(out.stdout);
      expect(out.stdout).toContain(
        `requester alice@example.com (verified by ${IDP}, via the token of ${deskAuthority.issuer})`,
      );
      expect(out.stdout).toContain(
        `inbound credential ${call?.credential.jti} from ${deskAuthority.issuer} for ${ORDERS}`,
      );
      expect(out.stdout).toContain(
        `carried: requester's identity provider ${IDP} (verified); intent ${sha256Hex(INTENT)}; caller log ${deskOrigin}; caller span ${call?.spanId}`,
      );
    },
  );

  it(
    attack(
      'inbound-unsigned-claims',
      'baggage, `_meta` keys and a traceparent naming an IdP, intent, log and span the token does not carry: none of them recorded; an asserted requester stays asserted',
    ),
    () => {
      const start = startOf(unsignedTask);
      expect(start.status).toBe('started');
      expect(start.inbound).toEqual({
        audience: [ORDERS],
        expiresAt: expect.any(Number),
        issuer: deskAuthority.issuer,
        jti: expect.any(String),
        missing: ['intentDigest', 'requester', 'callerLog', 'callerSpanId'],
      });
      expect(JSON.stringify(start)).not.toMatch(/evil|00000000000000ee|Refund everything/);
      expect(JSON.stringify(start)).not.toContain(sha256Hex('Refund everything'));
      // without a provenance claim, the token's issuer stands for the requester, marked as carried
      expect(start.requester).toMatchObject({ issuer: deskAuthority.issuer, via: deskAuthority.issuer });
      // the caller said "asserted": the callee never promotes it to verified
      const asserted = startOf(assertedTask);
      expect(asserted.requester).toMatchObject({
        assurance: 'asserted',
        issuer: IDP,
        via: deskAuthority.issuer,
      });
      expect(asserted.inbound.requester).toEqual({ assurance: 'asserted', issuer: IDP });
    },
  );

  it(
    attack(
      'inbound-older-caller',
      'a credential with none of the carried claims is accepted (the tool runs) and the record lists what it lacked',
    ),
    () => {
      const start = startOf(olderTask);
      expect(start.status).toBe('started');
      expect(start.inbound.missing).toEqual(['intentDigest', 'requester', 'callerLog', 'callerSpanId']);
      const outcome = ordersRecords.find((r) => r.kind === 'outcome' && r.taskId === olderTask);
      expect(outcome?.outcome.status).toBe('ok');
    },
  );
});

describe('a credential that disagrees with the caller log (issue 21 item 2)', () => {
  it(
    attack(
      'inbound-intent-digest-mismatch',
      "the desk's real credential re-signed with another intent digest and span: the joined explain names intent-mismatch and span-mismatch at the server's task-start",
    ),
    async () => {
      // a second pair of runtimes would repeat the set-up: the server's log is copied, and a task-start
      // continuing the desk's task with a re-signed credential (same jti) is appended by a runtime
      // writing to the copy's directory
      const copy = join(dir, 'orders-copy');
      await cp(join(dir, 'orders'), copy, { recursive: true });
      const issued = deskRecords.find((r) => r.kind === 'decision' && r.call.name === 'lookup_remote_order');
      const real = startOf(delegated);
      const replay = createWrit({ dir: copy, service: 'orders-mcp', trustDomain: 'orders.example' });
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: deskAuthority.issuer,
        sub: 'alice@example.com',
        sub_id: { format: 'iss_sub', iss: IDP, sub: 'alice@example.com' },
        aud: ORDERS,
        txn: delegated,
        scope: 'orders:read',
        iat: now,
        exp: now + 60,
        jti: issued?.credential.jti,
        req_wl: 'spiffe://support.example/agent/support-bot',
        act: {
          sub: 'spiffe://support.example/agent/order-reader',
          act: { sub: 'spiffe://support.example/agent/support-bot' },
        },
        tctx: {
          correlation_id: real.correlationId,
          intent_digest: sha256Hex('Refund every order'),
          req_assurance: 'verified',
          caller_log: real.inbound.callerLog,
          caller_span: '00000000000000ab',
        },
      };
      const token = await deskAuthority.sign(claims, { typ: 'at+jwt' });
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      const inbound = await verifyTaskToken(token, {
        issuer: deskAuthority.issuer,
        audience: ORDERS,
        jwks: deskAuthority.jwks(),
      });
      await replay.task({ agent: 'orders-mcp', inbound }, async () => undefined);
      const replayKey = await keyOf(replay);
      await replay.close();
      const copyLog = join(copy, 'audit');
      const json = await runCli([
        'explain',
        deskLog,
        copyLog,
        '--task',
        delegated,
        '--key',
        `${deskLog}=${await keyOf(desk)}`,
        '--key',
        `${copyLog}=${replayKey}`,
        '--json',
      ]);
      const doc = JSON.parse(json.stdout);
      const at = doc.findings.filter((f: { log: string }) => f.log === copyLog);
      expect(at.map((f: { kind: string }) => f.kind)).toEqual(['intent-mismatch', 'span-mismatch']);
      expect(at[0].message).toContain(sha256Hex('Refund every order'));
      // named at the re-signed task-start, read back verified: not at the real one
      const { records } = await readVerifiedLog(copyLog, { verifierKey: replayKey });
      const named = records.find((r) => r.index === at[0].index);
      expect(named?.record).toMatchObject({
        kind: 'task-start',
        taskId: delegated,
        inbound: { intentDigest: sha256Hex('Refund every order'), callerSpanId: '00000000000000ab' },
      });
      expect(at[1].index).toBe(at[0].index);
      expect(json.code).not.toBe(0);
    },
  );
});
