// Answering approvals from the CLI (issue 20 item 2): the BUILT `writ` binary, run as a child process,
// lists and answers the approvals that fleet members (child processes in suspend mode, see fleet-member.mjs)
// wait for in one real PostgreSQL; approvers prove who they are with ID tokens from a real OpenID Provider
// (oidc-provider, the identity tests' OP). Build first: `npx turbo run build`.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hmacRowSigner } from '@writ/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/audit/src/postgres/__support__/embedded-postgres.js';
import { type CliResult, runCli } from '../../../packages/cli/src/__support__/cli.js';
import { forge } from '../../../packages/identity/src/__support__/forge.js';
import {
  CLIENTS,
  loginWithAuthorizationCode,
  startOp,
  type TestOp,
} from '../../../packages/identity/src/oidc/__support__/op.js';
import { attack } from './attacks.js';
import { type Member, member, STORE_KEY, stopMembers } from './fleet-members.js';

/** Clients of the OP beyond the identity tests' own: another console (another audience), short-lived tokens. */
const OTHER_CONSOLE = { id: 'other-console', secret: 'other-console-secret-0123456789abcdef0123' };
const SHORT_LIVED = { id: 'short-lived', secret: 'short-lived-secret-0123456789abcdef012345' };
const client = (c: { id: string; secret: string }) => ({
  client_id: c.id,
  client_secret: c.secret,
  redirect_uris: ['http://127.0.0.1/cb'],
  id_token_signed_response_alg: 'ES256',
});

let db: TestPostgres;
let op: TestOp;
let root: string;
let a: Member;
let b: Member;
let env: Record<string, string>;

type Run = { ok: boolean; value?: unknown; code?: string; details?: Record<string, unknown> };
type Row = {
  bindingHash: string;
  tool: string;
  status: string;
  requester: { id: string } | null;
  answer: {
    approved: boolean;
    approver: { id: string; assurance: string; issuer?: string } | null;
    approverToken: { jti: string; expiresAt: number } | null;
  } | null;
};

const executions = async (call: string) =>
  (await db.admin.query('SELECT member FROM public.executions WHERE call = $1', [call])).rows.map(
    (r) => r.member as string,
  );
const writ = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { env: { ...env, ...extra } });
const listed = async (status = 'any'): Promise<Row[]> => {
  const out = await writ(['approvals', 'list', '--status', status, '--json']);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return (JSON.parse(out.stdout) as { approvals: Row[] }).approvals;
};
const hex = (bindingHash: string) => bindingHash.replace(/^sha256:/, '');
/** Suspends a refund on `m` (the call waits for approval) and returns its binding hash. */
async function suspended(m: Member, taskId: string, callId: string, args: object): Promise<string> {
  const ran = await m.call<Run>('run', { taskId, tool: 'refund_order', callId, args });
  expect(ran).toMatchObject({ ok: false, code: 'WRIT_APPROVAL_PENDING' });
  return ran.details?.bindingHash as string;
}
const verifiedFlags = () => ['--issuer', op.issuer, '--audience', CLIENTS.webapp.id];
/** Bob signs in at the OP for the approval `nonce` names (its binding hash), or for nothing in particular. */
const login = (c: { id: string; secret: string }, nonce?: string) =>
  loginWithAuthorizationCode(op, {
    client: c,
    accountId: 'bob',
    ...(nonce === undefined ? {} : { nonce }),
  }).then((t) => t.idToken);

beforeAll(async () => {
  db = await startTestPostgres();
  await db.admin.query('CREATE TABLE public.executions (tool text, call text, member text)');
  root = await mkdtemp(join(tmpdir(), 'writ-approvals-cli-'));
  op = await startOp({
    clients: [client(OTHER_CONSOLE), client(SHORT_LIVED)],
    configuration: {
      ttl: {
        AccessToken: 600,
        ClientCredentials: 600,
        AuthorizationCode: 60,
        // one second for the short-lived client's ID tokens (past it plus the verifier's 5 s tolerance: expired)
        IdToken: (_ctx: unknown, _token: unknown, c: { clientId: string }) =>
          c.clientId === SHORT_LIVED.id ? 1 : 600,
        Interaction: 300,
        Session: 600,
        Grant: 600,
      },
    } as never,
  });
  [a, b] = await Promise.all([member('a', db, root), member('b', db, root)]);
  env = { DATABASE_URL: db.connectionString(), WRIT_STORE_KEY: STORE_KEY };
}, 180_000);
afterAll(async () => {
  await stopMembers(a, b);
  await op?.close();
  await db?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('writ approvals: answering from the CLI', () => {
  it(attack(
    'approvals-cli-suspend-resume-once',
    'approved from the CLI with a verified ID token while the call is suspended: resumed on A and B at once, it runs once; the record names the verified approver',
  ), async () => {
    const args = { call: 'refund-cli-1', amount: 30 };
    const taskId = 'task-cli-1';
    const bindingHash = await suspended(a, taskId, 'call_cli_1', args);
    // the operator's queue: a table and --json
    const table = await writ(['approvals', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^BINDING\s+TOOL\s+REQUESTER\s+AGENT\s+TASK\s+ASKED\s+EXPIRES\s+STATUS/);
    expect(table.stdout).toContain(hex(bindingHash).slice(0, 12));
    expect(table.stdout).toMatch(/refund_order\s+alice@example\.com\s+\S+\s+task-cli-1\s.*waiting/);
    expect(await listed('waiting')).toMatchObject([
      { bindingHash, tool: 'refund_order', status: 'waiting', requester: { id: 'alice@example.com' } },
    ]);

    const idToken = await login(CLIENTS.webapp, bindingHash);
    const started = performance.now();
    const approved = await writ(
      ['approvals', 'approve', hex(bindingHash).slice(0, 12), ...verifiedFlags(), '--json'],
      { WRIT_APPROVER_ID_TOKEN: idToken },
    );
    console.log(
      `writ approvals approve (verified ID token, a child process): ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    const answer = (JSON.parse(approved.stdout) as { approval: Row }).approval.answer;
    expect(answer).toMatchObject({
      approved: true,
      approver: { kind: 'human', id: 'bob', issuer: op.issuer, assurance: 'verified' },
      approverToken: { jti: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
    // the token itself is never printed or stored
    expect(approved.stdout).not.toContain(idToken);
    const stored = await db.admin.query('SELECT answer FROM writ.approvals WHERE binding_hash = $1', [
      bindingHash,
    ]);
    expect(String(stored.rows[0]?.answer)).not.toContain(idToken.split('.')[2]);

    // the resumed call reaches both processes at once: one execution
    const runs = await Promise.all(
      [a, b].map((m) => m.call<Run>('run', { taskId, tool: 'refund_order', callId: 'call_cli_1', args })),
    );
    const ran = await executions('refund-cli-1');
    console.log(`resumed on 2 processes at once: ${ran.length} execution(s), by ${ran.join(', ')}`);
    expect(ran).toHaveLength(1);
    expect(runs.filter((r) => r.ok)).toHaveLength(1);
    for (const r of runs.filter((x) => !x.ok)) expect(r.code).toBe('WRIT_ALREADY_EXECUTED');

    // the executing member's log holds the approval record: verified approver, issuer, token id
    const dir = join(root, ran[0] as string);
    const explained = await writ(['explain', dir, '--call', 'call_cli_1', '--json']);
    const tasks = (JSON.parse(explained.stdout) as { tasks: { calls: { approval?: unknown }[] }[] }).tasks;
    const record = tasks.flatMap((t) => t.calls).find((c) => c.approval !== undefined)?.approval;
    expect(record).toMatchObject({
      approved: true,
      bindingHash,
      approver: { id: 'bob', issuer: op.issuer, assurance: 'verified' },
      approverToken: answer?.approverToken,
    });
    const text = await writ(['explain', dir, '--call', 'call_cli_1', '--no-color']);
    expect(text.stdout).toContain(
      `approval granted by bob (verified by ${op.issuer}, token ${answer?.approverToken?.jti})`,
    );
  }, 120_000);

  it(attack(
    'approvals-cli-token-refused',
    'an ID token for another audience, an expired one, one signed by a key the issuer does not publish, one obtained for another approval: refused (exit 7), nothing answered',
  ), async () => {
    const bindingHash = await suspended(a, 'task-cli-2', 'call_cli_2', { call: 'refund-cli-2', amount: 5 });
    const prefix = hex(bindingHash).slice(0, 10);
    const shortLived = await login(SHORT_LIVED, bindingHash);
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const unknownKey = forge(
      { alg: 'RS256', kid: 'rs-1', typ: 'JWT' },
      {
        iss: op.issuer,
        aud: CLIENTS.webapp.id,
        sub: 'mallory',
        iat: now,
        exp: now + 300,
        nonce: bindingHash,
      },
      { alg: 'RS256', key: privateKey },
    );
    const otherAudience = await login(OTHER_CONSOLE, bindingHash);
    // genuine, for the right audience, but signed in for another approval / for no approval at all
    const otherApproval = await login(CLIENTS.webapp, `sha256:${'0'.repeat(64)}`);
    const plainSignIn = await login(CLIENTS.webapp);
    await sleep(7_000); // the short-lived token's 1 s plus the verifier's 5 s clock tolerance
    const cases: [string, string, string[], RegExp][] = [
      ['another audience', otherAudience, verifiedFlags(), /^WRIT_AUDIENCE_MISMATCH: /],
      ['expired', shortLived, ['--issuer', op.issuer, '--audience', SHORT_LIVED.id], /^WRIT_TOKEN_EXPIRED: /],
      ['unknown key', unknownKey, verifiedFlags(), /^WRIT_TOKEN_INVALID: /],
      ['for another approval', otherApproval, verifiedFlags(), /^WRIT_TOKEN_INVALID: .*not bound/],
      ['a plain sign-in', plainSignIn, verifiedFlags(), /^WRIT_TOKEN_INVALID: .*not bound/],
    ];
    for (const [what, token, flags, error] of cases) {
      const refused = await writ(['approvals', 'approve', prefix, ...flags], {
        WRIT_APPROVER_ID_TOKEN: token,
      });
      expect(refused.code, what).toBe(7);
      expect(refused.stderr, what).toMatch(error);
      expect(refused.stdout, what).toBe('');
    }
    // nothing was answered: still waiting, no answer in the row
    expect((await listed()).find((r) => r.bindingHash === bindingHash)).toMatchObject({
      status: 'waiting',
      answer: null,
    });
    const row = await db.admin.query('SELECT answer FROM writ.approvals WHERE binding_hash = $1', [
      bindingHash,
    ]);
    expect(row.rows[0]?.answer).toBeNull();
  }, 120_000);

  it(attack(
    'approvals-cli-claim-not-verified',
    'an approver named with --approver is recorded as claimed (in the store and the audit record), never verified',
  ), async () => {
    const args = { call: 'refund-cli-3', amount: 7 };
    const bindingHash = await suspended(a, 'task-cli-3', 'call_cli_3', args);
    // a claim and a token at once is a usage error (which one answers would be a guess)
    const both = await writ(['approvals', 'approve', hex(bindingHash), '--approver', 'bob', '--json'], {
      WRIT_APPROVER_ID_TOKEN: await login(CLIENTS.webapp),
    });
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout)).toMatchObject({ error: { code: 'WRIT_USAGE' } });
    const claimed = await writ([
      'approvals',
      'approve',
      hex(bindingHash).slice(0, 8),
      '--approver',
      'bob',
      '--json',
    ]);
    expect(claimed.code).toBe(0);
    const answer = (JSON.parse(claimed.stdout) as { approval: Row }).approval.answer;
    expect(answer).toMatchObject({ approver: { id: 'bob', assurance: 'claimed' }, approverToken: null });
    const ran = await b.call<Run>('run', {
      taskId: 'task-cli-3',
      tool: 'refund_order',
      callId: 'call_cli_3',
      args,
    });
    expect(ran.ok).toBe(true);
    const explained = await writ(['explain', join(root, 'b'), '--call', 'call_cli_3', '--no-color']);
    expect(explained.stdout).toContain('approval granted by bob (claimed)');
    expect(explained.stdout).not.toContain('bob (verified');
  }, 120_000);

  it(attack(
    'approvals-cli-answer-twice',
    'the same binding hash approved twice: the second is refused (exit 7) and the first stands; an expired approval cannot be answered',
  ), async () => {
    const args = { call: 'refund-cli-4', amount: 9 };
    const bindingHash = await suspended(a, 'task-cli-4', 'call_cli_4', args);
    const first = await writ([
      'approvals',
      'reject',
      hex(bindingHash),
      '--approver',
      'carol',
      '--reason',
      'no',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('✖ rejected');
    const second = await writ(['approvals', 'approve', hex(bindingHash), '--approver', 'mallory']);
    expect(second.code).toBe(7);
    expect(second.stderr).toMatch(/^WRIT_APPROVAL_CLOSED: .*already rejected by carol \(claimed\)/);
    expect((await listed('rejected')).find((r) => r.bindingHash === bindingHash)?.answer).toMatchObject({
      approved: false,
      approver: { id: 'carol' },
    });
    // the call is refused under the answer that stands, once; afterwards the approval is gone
    const ran = await a.call<Run>('run', {
      taskId: 'task-cli-4',
      tool: 'refund_order',
      callId: 'call_cli_4',
      args,
    });
    expect(ran).toMatchObject({ ok: false, code: 'WRIT_APPROVAL_REJECTED' });
    expect(await executions('refund-cli-4')).toEqual([]);
    const gone = await writ(['approvals', 'approve', hex(bindingHash), '--approver', 'mallory']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^WRIT_APPROVAL_NOT_FOUND: /);

    // asked with a clock a minute behind: its approval is already expired when the CLI sees it
    await a.call('clock', { offsetMs: -61_000 });
    const late = await suspended(a, 'task-cli-5', 'call_cli_5', { call: 'refund-cli-5', amount: 1 });
    await a.call('clock', { offsetMs: 0 });
    expect((await listed('waiting')).map((r) => r.bindingHash)).not.toContain(late);
    expect((await listed('expired')).map((r) => r.bindingHash)).toContain(late);
    const expired = await writ(['approvals', 'approve', hex(late), '--approver', 'bob']);
    expect(expired.code).toBe(7);
    expect(expired.stderr).toMatch(/^WRIT_APPROVAL_CLOSED: .*it expired at /);
  }, 120_000);

  it('a prefix that names several approvals, or none, is refused (exit 1); no store key or URL is a usage error', async () => {
    const { createPostgresApprovalStore } = await import('@writ/postgres');
    const store = createPostgresApprovalStore({
      connectionString: db.connectionString(),
      signer: hmacRowSigner(STORE_KEY),
      migrate: false,
    });
    const later = Date.now() + 60_000;
    for (const last of ['1', '2'])
      await store.open({
        bindingHash: `sha256:abcdef${'0'.repeat(57)}${last}`,
        callId: `c${last}`,
        tool: 'wire_money',
        taskId: 'task-ambiguous',
        decisionId: 'd',
        expiresAt: later,
      });
    await store.close();
    const ambiguous = await writ(['approvals', 'approve', 'abcdef00', '--approver', 'bob', '--json']);
    expect(ambiguous.code).toBe(1);
    expect(JSON.parse(ambiguous.stdout)).toMatchObject({ error: { code: 'WRIT_APPROVAL_NOT_FOUND' } });
    expect(ambiguous.stderr).toMatch(/2 approvals have a binding hash starting abcdef00/);
    expect((await listed('waiting')).filter((r) => r.tool === 'wire_money')).toHaveLength(2);
    // the list filters of writ calls, where they apply
    const byTool = await writ(['approvals', 'list', '--tool', 'wire_money', '--json']);
    expect((JSON.parse(byTool.stdout) as { approvals: Row[] }).approvals.map((r) => r.tool)).toEqual([
      'wire_money',
      'wire_money',
    ]);
    const byRequester = await writ([
      'approvals',
      'list',
      '--status',
      'any',
      '--requester',
      'alice@example.com',
      '--json',
    ]);
    const mine = (JSON.parse(byRequester.stdout) as { approvals: Row[] }).approvals;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.requester?.id === 'alice@example.com')).toBe(true);
    const future = await writ(['approvals', 'list', '--since', '2999-01-01T00:00:00Z', '--json']);
    expect((JSON.parse(future.stdout) as { approvals: Row[] }).approvals).toEqual([]);
    expect((await writ(['approvals', 'list', '--since', 'yesterday'])).code).toBe(2);
    expect((await writ(['approvals', 'list', '--decision', 'deny'])).code).toBe(2); // no decision here
    expect((await writ(['approvals', 'approve', '0123456789', '--approver', 'bob'])).code).toBe(1);
    expect((await writ(['approvals', 'approve', 'abc', '--approver', 'bob'])).code).toBe(2);
    const noKey = await runCli(['approvals', 'list'], { env: { DATABASE_URL: db.connectionString() } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('WRIT_STORE_KEY');
    const wrongKey = await writ(['approvals', 'list'], {
      WRIT_STORE_KEY: 'another-key-0123456789abcdef0123456789',
    });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/^WRIT_STORE_TAMPERED: /);
  }, 60_000);
});
