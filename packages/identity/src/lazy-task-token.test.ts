// A task token is signed when it is first read (issue 23: a tool server's continued task never reads its
// own task token, so it costs no signature). What must not change: the task-start record names the
// credential's jti (the cross-log join uses it), the token read later carries that jti and the claims
// fixed at start, signed with the key that was current at start, byte for byte what signing at start
// would have made.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCredentialBroker } from './credential-broker.js';
import { createLocalAuthority, type LocalAuthority } from './local-authority.js';
import { createLocalIdentity } from './local-identity.js';
import { ACCESS_TOKEN_TYP, TASK_TOKEN_TYP } from './task-token.js';
import { verifyTaskToken } from './verify-task-token.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-lazy-token-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fresh = (name: string) => createLocalAuthority({ dir: join(dir, name), trustDomain: 'example.org' });

/** The authority, counting the signatures made, now (`sign`) or through `signLater` (made, not merely reserved). */
function counting(authority: LocalAuthority) {
  const signed: string[] = [];
  const wrapped: LocalAuthority = {
    ...authority,
    get kid() {
      return authority.kid;
    },
    sign(payload, options) {
      signed.push(String(payload.jti));
      return authority.sign(payload, options);
    },
    rotate: authority.rotate,
    signLater(payload, options) {
      const later = authority.signLater?.(payload, options);
      if (later === undefined) return undefined;
      return () => {
        const token = later();
        signed.push(String(payload.jti));
        return token;
      };
    },
  };
  return { authority: wrapped, signed };
}

/** A Writ whose credentials come from a broker on `authority`, allowing everything, recording in memory. */
function brokered(authority: LocalAuthority) {
  const credentials = createCredentialBroker({ authority });
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    identity: createLocalIdentity({ authority }),
    credentials,
    audit,
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  return { credentials, audit, writ };
}

describe('LocalAuthority.signLater', () => {
  it('makes the bytes sign makes now, with the key and kid of now, whatever happens to the payload or the key after', async () => {
    const authority = await fresh('later');
    const payload = { iss: authority.issuer, sub: 'alice', jti: 'j-1', iat: 1, exp: 4_000_000_000 };
    const now = await authority.sign(payload, { typ: TASK_TOKEN_TYP });
    const later = authority.signLater?.(payload, { typ: TASK_TOKEN_TYP });
    const kid = authority.kid;
    payload.sub = 'mallory'; // the claims are fixed when the token is reserved
    await authority.rotate(); // so is the key
    expect(later?.()).toBe(now);
    expect(later?.()).toBe(now); // one token, however often read
    expect(decodeProtectedHeader(now).kid).toBe(kid);
    expect(authority.kid).not.toBe(kid);
  });
});

describe('the task credential, signed when first read', () => {
  it('is not signed while nothing reads it; read later, it carries the jti the task-start record names, verifies and is revoked at task end', async () => {
    const { authority, signed } = counting(await fresh('broker'));
    const { credentials, audit, writ } = brokered(authority);
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      audience: 'https://orders.example.com',
      execute: async (_args, ctx) => ctx.credential?.jti,
    });

    // a continued task's shape: one call, the task token never read
    const first = await writ.task({ agent: 'orders-mcp' }, async (task) => {
      await lookup.execute({ orderId: 'ord_42' });
      return task.credential?.jti;
    });
    const [start] = audit.ofKind('task-start');
    expect(start?.credential?.jti).toBe(first);
    // the task token was never signed (nor the call's credential, which its tool did not read)
    expect(signed).not.toContain(first);

    // read inside the task: signed then, with the jti and claims fixed at start
    const { token, jti } = await writ.task({ agent: 'orders-mcp' }, async (task) => {
      await lookup.execute({ orderId: 'ord_43' });
      return { token: task.credential?.token as string, jti: task.credential?.jti };
    });
    expect(signed).toContain(jti);
    const starts = audit.ofKind('task-start');
    expect(starts[1]?.credential?.jti).toBe(jti);
    expect(decodeJwt(token).jti).toBe(jti);
    expect(decodeJwt(token).txn).toBe(starts[1]?.taskId);
    await expect(
      verifyTaskToken(token, {
        issuer: authority.issuer,
        audience: authority.issuer,
        jwks: authority.jwks(),
        isRevoked: credentials.revocations.isRevoked,
      }),
    ).rejects.toMatchObject({ code: 'WRIT_TOKEN_REVOKED' });
    const ends = audit.ofKind('task-end');
    expect(ends[1]?.revoked?.map((c) => c.jti)).toContain(jti);
  });
});

describe("the call's per-audience credential, signed when first read", () => {
  it('a tool that does not read it costs no signature; one that reads it gets the at+jwt for its audience, with the jti its decision record names', async () => {
    const { authority, signed } = counting(await fresh('calls'));
    const { credentials, audit, writ } = brokered(authority);
    const define = (name: string, read: boolean) =>
      writ.tool({
        name,
        input: z.object({ orderId: z.string() }),
        audience: 'https://orders.example.com',
        execute: async (_args, ctx) => ({
          jti: ctx.credential?.jti,
          token: read ? ctx.credential?.token : undefined,
        }),
      });
    const quiet = define('lookup_order', false);
    const reading = define('refund_order', true);

    const left = await writ.task({ agent: 'orders-mcp' }, () => quiet.execute({ orderId: 'ord_42' }));
    expect(left.jti).toEqual(expect.any(String));
    expect(signed).not.toContain(left.jti);
    expect(signed).toEqual([]);

    const read = await writ.task({ agent: 'orders-mcp' }, () => reading.execute({ orderId: 'ord_43' }));
    expect(signed).toEqual([read.jti]);
    const token = read.token as string;
    expect(decodeProtectedHeader(token).typ).toBe(ACCESS_TOKEN_TYP);
    const verified = await verifyTaskToken(token, {
      issuer: authority.issuer,
      audience: 'https://orders.example.com',
      jwks: authority.jwks(),
      types: [ACCESS_TOKEN_TYP],
    });
    expect(verified.claims.jti).toBe(read.jti);
    const decision = audit.ofKind('decision').find((e) => e.call?.name === 'refund_order');
    expect(decision?.credential?.jti).toBe(read.jti);
    expect(verified.claims.txn).toBe(decision?.taskId);
    // revoked at task end like any credential the broker handed out
    expect(credentials.revocations.isRevoked(read.jti as string)).toBe(true);
  });
});
