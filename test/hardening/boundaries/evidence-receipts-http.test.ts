// Issue 21 item 3 over HTTP: receipts both ways with `createWritFetch` on the caller's side and an HTTP
// callee (node:http, its own runtime, key and log; refunds denied by its policy) that verifies the
// caller's credential (`verifyTaskTokenFromRequest`), continues the task and answers with
// `calleeHeaders` (Writ-Receipt, Writ-Refusal). The BUILT `writ` binary joins the two logs.
import { cp, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readVerifiedLog } from '@writ/audit';
import { calleeHeaders, WritError } from '@writ/core';
import type { AuditReceipt, OutcomeEvent } from '@writ/core/plugin';
import { createInMemoryPolicy } from '@writ/core/testing';
import { verifyTaskTokenFromRequest } from '@writ/identity';
import { createWritFetch } from '@writ/otel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';

interface Side {
  readonly log: string;
  readonly key: string;
  readonly anchor: string;
}

let dir: string;
let server: Server;
let caller: Side;
let callee: Side;
let calleeOrigin: string;
const tasks: Record<string, string> = {};

beforeAll(async () => {
  dir = await tempDir('writ-receipts-http-');
  await mkdir(join(dir, 'anchors'));
  const callerWrit = createWrit({
    dir: join(dir, 'caller'),
    service: 'support-desk',
    trustDomain: 'support.example',
  });
  const calleeWrit = createWrit({
    dir: join(dir, 'callee'),
    service: 'orders-http',
    trustDomain: 'orders.example',
    policy: createInMemoryPolicy({
      rules: [
        { id: 'no-refunds', effect: 'deny', tool: 'refund_order', reason: 'refunds go through billing' },
      ],
      fallback: 'allow',
    }),
  });
  const { authority, localIdentity, revocations } = await callerWrit.ready();
  await calleeWrit.ready();
  const serverTools = {
    lookup: calleeWrit.tool({
      name: 'lookup_order',
      permission: 'orders:read',
      input: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => `order ${orderId}: shipped`,
    }),
    refund: calleeWrit.tool({
      name: 'refund_order',
      permission: 'orders:read',
      input: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => `order ${orderId}: refunded`,
    }),
  };
  let audience = '';
  server = createServer(async (req, res) => {
    let receipt: AuditReceipt | undefined;
    try {
      const inbound = await verifyTaskTokenFromRequest(req, {
        issuer: authority.issuer,
        audience,
        jwks: authority.jwks(),
        isRevoked: revocations?.isRevoked,
      });
      const tool = req.url === '/refund' ? serverTools.refund : serverTools.lookup;
      const body = await calleeWrit.task({ agent: 'orders-http', inbound }, () =>
        tool.execute({ orderId: '42' }, { onReceipt: (r) => (receipt = r) }),
      );
      res.writeHead(200, calleeHeaders({ receipt })).end(body);
    } catch (error) {
      const refusal = WritError.isInstance(error) ? error : undefined;
      res.writeHead(403, calleeHeaders({ receipt, refusal })).end(refusal?.message ?? 'failed');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  audience = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ordersFetch = createWritFetch({ audience });
  const remote = (name: string, path: string) =>
    callerWrit.tool({
      name,
      permission: 'orders:read',
      audience,
      input: z.object({ orderId: z.string() }),
      execute: async () => {
        const response = await ordersFetch(`${audience}${path}`, { method: 'POST' });
        const text = await response.text();
        if (!response.ok) throw new Error(text);
        return text;
      },
    });
  const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  for (const [intent, tool] of [
    ['Where is order 42?', remote('lookup_http', '/lookup')],
    ['Refund order 42', remote('refund_http', '/refund')],
  ] as const)
    await callerWrit
      .task({ requester: alice, agent: 'support-bot', scope: ['orders:*'], intent }, (t) => {
        tasks[intent] = t.attribution.taskId;
        return tool.execute({ orderId: '42' });
      })
      .catch(() => undefined);
  const keys = [
    (await callerWrit.publicKeys()).verifierKey as string,
    (await calleeWrit.publicKeys()).verifierKey as string,
  ];
  await callerWrit.close();
  await calleeWrit.close();
  const side = async (name: string, key: string): Promise<Side> => {
    const log = join(dir, name, 'audit');
    const anchor = join(dir, 'anchors', name);
    await cp(join(log, 'checkpoint'), anchor);
    return { log, key, anchor };
  };
  caller = await side('caller', keys[0] as string);
  callee = await side('callee', keys[1] as string);
  calleeOrigin = (await readVerifiedLog(callee.log, { verifierKey: callee.key })).verification
    ?.origin as string;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('receipts both ways over HTTP (issue 21 item 3)', () => {
  it(
    attack(
      'receipts-http',
      "writFetch records the callee's Writ-Receipt and Writ-Refusal in the caller's outcome; explain over both logs checks each receipt",
    ),
    async () => {
      const { records } = await readVerifiedLog(caller.log, { verifierKey: caller.key });
      const calleeRecords = (await readVerifiedLog(callee.log, { verifierKey: callee.key })).records;
      for (const [intent, status, refusal] of [
        ['Where is order 42?', 'ok', undefined],
        ['Refund order 42', 'error', 'WRIT_POLICY_DENIED'],
      ] as const) {
        const outcome = records.find((r) => r.record?.kind === 'outcome' && r.record.taskId === tasks[intent])
          ?.record as OutcomeEvent;
        expect(outcome.outcome.status).toBe(status);
        const [remote] = outcome.outcome.remote ?? [];
        expect(remote).toMatchObject({
          via: 'http',
          tool: expect.stringMatching(/^POST \//),
          receipt: { log: calleeOrigin },
          ...(refusal === undefined ? {} : { refusal: { code: refusal } }),
        });
        if (refusal === undefined) expect(remote).not.toHaveProperty('refusal');
        const named = calleeRecords.find((r) => r.index === remote?.receipt?.index);
        expect(named).toMatchObject({
          leafHash: remote?.receipt?.leafHash,
          evidence: 'verified',
          record: { kind: 'decision', taskId: tasks[intent] },
        });
        const args = ['explain', caller.log, callee.log, '--task', tasks[intent] as string];
        for (const s of [caller, callee])
          args.push('--key', `${s.log}=${s.key}`, '--checkpoint', `${s.log}=${s.anchor}`);
        const json = await runCli([...args, '--json']);
        const doc = JSON.parse(json.stdout);
        expect(doc.findings).toEqual([]);
        const out = await runCli(args);
        console.log(out.stdout);
        if (refusal !== undefined)
          expect(out.stdout).toContain(`refused ${refusal} (reported by the callee)`);
        expect(out.stdout).toContain(`receipt ${calleeOrigin} record ${remote?.receipt?.index}`);
      }
    },
  );
});
