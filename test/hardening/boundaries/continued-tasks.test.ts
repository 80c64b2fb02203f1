// Issue 18 item 10: a service continuing one caller task for two requests at once (the AI SDK runs the
// tool calls of one step in parallel) must not revoke one request's credentials when the other ends.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { createCredentialBroker, createLocalAuthority, createLocalIdentity } from '@writ/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('one caller task continued by parallel requests', () => {
  it(
    attack(
      'continued-task-revokes-sibling',
      "ending one request leaves the other's credentials live; no decision names a revoked one",
    ),
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'writ-continued-'));
      const authority = await createLocalAuthority({ dir, trustDomain: 'orders.example' });
      const credentials = createCredentialBroker({ authority });
      const audit = createInMemoryAuditSink();
      const writ = createWrit({
        service: 'orders-mcp',
        identity: createLocalIdentity({ authority }),
        policy: createInMemoryPolicy({ fallback: 'allow' }),
        audit,
        credentials,
      });
      const seen: { request: string; jti: string; revokedWhenUsed: boolean }[] = [];
      let firstDone: () => void = () => {};
      const firstEnded = new Promise<void>((r) => (firstDone = r));
      const lookup = writ.tool({
        name: 'lookup_order',
        audience: 'https://orders-db.example.com',
        input: z.object({ request: z.string() }),
        execute: async ({ request }, ctx) => {
          // the second request uses its credential only after the first request's task run has ended
          if (request === 'second') await firstEnded;
          const jti = ctx.credential?.jti as string;
          seen.push({ request, jti, revokedWhenUsed: credentials.revocations.isRevoked(jti) });
          return request;
        },
      });
      const inbound = {
        taskId: 'caller-task-1',
        subject: 'alice@example.com',
        actors: ['spiffe://caller.example/agent/orchestrator'],
        autonomous: false,
        scope: ['*'],
        issuer: 'https://caller.example',
        jti: 'caller-token',
        expiresAt: Date.now() + 60_000,
      };
      const continueWith = (request: string) =>
        writ.task({ agent: 'orders-mcp', inbound }, () => lookup.execute({ request }));
      const second = continueWith('second');
      await continueWith('first');
      firstDone();
      await second;
      expect(seen.map((s) => [s.request, s.revokedWhenUsed])).toEqual([
        ['first', false],
        ['second', false],
      ]);
      // each request had its own credential, and the decision of each names a credential that was live
      expect(new Set(seen.map((s) => s.jti)).size).toBe(2);
      const decisions = audit.ofKind('decision');
      expect(decisions.map((d) => d.credential?.jti).sort()).toEqual(seen.map((s) => s.jti).sort());
      // and both end revoked once their own request is over
      for (const { jti } of seen) expect(credentials.revocations.isRevoked(jti)).toBe(true);
    },
  );
});
