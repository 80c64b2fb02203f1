import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readVerifiedLog } from '@writ/audit';
import { sha256Hex } from '@writ/core/plugin';
import { createLocalIdentity, type LocalAuthority, verifyTaskToken } from '@writ/identity';
import { instrumentClient } from '@writ/mcp';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import { runCli } from '../../../packages/cli/src/__support__/cli.js';
import { setupTracing, type Tracing } from '../../../packages/core/src/__support__/otel.js';
import { type LogRecord, readRecords } from '../../../packages/mcp/src/__support__/sides.js';
import { attack } from './attacks.js';
import { carriedWorld, IDP } from './carried-world.js';
import { ORDERS, text } from './mcp-world.js';

const INTENT = 'Where is order 42?';

let dir: string;
let tracing: Tracing;
let desk: WritRuntime;
let orders: WritRuntime;
let deskAuthority: LocalAuthority;
let deskLog: string;
let ordersLog: string;
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
const startOf = (taskId: string) =>
  ordersRecords.find((r) => r.kind === 'task-start' && r.taskId === taskId) as LogRecord;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-carried-'));
  await mkdir(join(dir, 'anchors'));
  tracing = setupTracing({ propagators: true });
  const w = await carriedWorld(dir, tracing.tracer);
  ({ desk, orders, deskAuthority, deskLog, ordersLog } = w);

  // 1. the real chain: alice (verified by the IdP) → support-bot → order-reader → the orders server
  const toOrders = instrumentClient(new Client({ name: 'support-bot', version: '1.0.0' }), {
    audience: ORDERS,
  });
  await w.connectOrders(toOrders);
  const lookupRemote = desk.tool({
    name: 'lookup_remote_order',
    permission: 'orders:read',
    audience: ORDERS,
    input: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) =>
      text(await toOrders.callTool({ name: 'lookup_order', arguments: { orderId } })),
  });
  const alice = await createLocalIdentity({ authority: w.idp }).issueRequesterToken({
    sub: 'alice@example.com',
  });
  await desk.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'], intent: INTENT }, () =>
    desk.delegate({ agent: 'order-reader', scope: ['orders:read'] }, async (sub) => {
      delegated = sub.attribution.taskId;
      expect(await lookupRemote.execute({ orderId: '42' })).toBe('order 42: shipped');
    }),
  );

  // 2. hand-made credentials sent by a raw client: hostile `_meta`, an older caller, an asserted requester
  const raw = new Client({ name: 'support-bot', version: '1.0.0' });
  await w.connectOrders(raw);
  const unsigned = await w.handMade({});
  unsignedTask = decodeJwt(unsigned).txn as string;
  await w.lookup(raw, unsigned, {
    baggage: `writ.correlation_id=corr-x,writ.intent_digest=${sha256Hex('Refund everything')},writ.requester_issuer=https%3A%2F%2Fevil.example,writ.caller_log=evil-log,writ.caller_span=00000000000000ee`,
    'io.writ/intent-digest': sha256Hex('Refund everything'),
    'io.writ/requester': { issuer: 'https://evil.example', assurance: 'verified' },
    'io.writ/caller-log': 'evil-log',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-00000000000000ee-01',
  });
  const older = await w.handMade({});
  olderTask = decodeJwt(older).txn as string;
  expect(text(await w.lookup(raw, older))).toBe('order 42: shipped');
  const asserted = await w.handMade({
    sub_id: { format: 'iss_sub', iss: IDP, sub: 'alice@example.com' },
    tctx: { correlation_id: 'corr-asserted', req_assurance: 'asserted' },
  });
  assertedTask = decodeJwt(asserted).txn as string;
  await w.lookup(raw, asserted);

  await w.close();
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
