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
import { TASK_TOKEN_TYP } from './task-token.js';
import { verifyTaskToken } from './verify-task-token.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-lazy-token-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fresh = (name: string) => createLocalAuthority({ dir: join(dir, name), trustDomain: 'example.org' });

/** The authority, counting the signatures made through `signLater` (made, not merely reserved). */
function counting(authority: LocalAuthority) {
  const signed: string[] = [];
  const wrapped: LocalAuthority = {
    ...authority,
    get kid() {
      return authority.kid;
    },
    sign: authority.sign,
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
    const credentials = createCredentialBroker({ authority });
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      identity: createLocalIdentity({ authority }),
      credentials,
      audit,
      policy: createInMemoryPolicy({ fallback: 'allow' }),
    });
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
    // the call's per-audience credential is minted by its own signature; the task token was never signed
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
