// Issue 9 item 6 (fuzz / property). Builds on the packages' own properties (spiffe-id.test.ts,
// tamper.test.ts, properties.test.ts) and the identity forge support: here every parser at a trust
// boundary gets hostile input of its own kind, and the one rule is checked: it answers with a clean
// verdict or a typed WritError, never anything else. Every property counts its runs; the totals are
// asserted at the end.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { readLines, type StoredLine, verifyLines } from '@writ/audit';
import { type AuthorizationRequest, extractContext, WritError, type WritErrorCode } from '@writ/core';
import {
  correlationIdFromContext,
  extractTaskToken,
  TASK_TOKEN_HEADER,
  TASK_TOKEN_META_KEY,
} from '@writ/core/adapter';
import {
  createLocalAuthority,
  isSpiffeId,
  type LocalAuthority,
  mintTaskToken,
  parseSpiffeId,
  parseTrustDomain,
  verifyTaskToken,
  verifyTaskTokenFromRequest,
} from '@writ/identity';
import { startTestTracing } from '@writ/otel/testing';
import { type CedarEngine, createCedarEngine, toCedarRequest } from '@writ/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWrit } from 'writ';
import { z } from 'zod';
import { authorityKey, b64, forge } from '../../../packages/identity/src/__support__/forge.js';
import { removeDir, tempDir } from './support.js';

/** Runs per property. */
const N = {
  spiffe: 3000,
  token: 2000,
  requests: 500,
  damage: 600,
  junk: 600,
  cedarMapping: 1000,
  cedarDecisions: 600,
  carriersOwn: 1000,
  carriersOtel: 600,
};
const runs = {
  spiffe: 0,
  spiffeRefused: 0,
  token: 0,
  tokenRefused: 0,
  tokenAccepted: 0,
  lines: 0,
  linesRejected: 0,
  cedarMapping: 0,
  cedarDecisions: 0,
  cedarDenied: 0,
  carriers: 0,
  requests: 0,
};

let dir: string;
let authority: LocalAuthority;
let key: ReturnType<typeof authorityKey>;
let cedar: CedarEngine;
/** A genuine log written by the zero-config runtime: its lines, origin, key and published checkpoint. */
let log: { lines: StoredLine[]; origin: string; verifierKey: string; checkpoint: string };

beforeAll(async () => {
  dir = await tempDir('writ-hardening-fuzz-');
  authority = await createLocalAuthority({ dir: join(dir, 'authority'), trustDomain: 'example.org' });
  key = authorityKey(join(dir, 'authority'));
  cedar = await createCedarEngine();

  const writ = createWrit({ dir: join(dir, 'writ'), audit: { checkpointEvery: 7 } });
  const { fileAudit } = await writ.ready();
  const read = writ.tool({
    name: 'read',
    annotations: { readOnly: true },
    input: z.object({ id: z.string() }),
    execute: async ({ id }) => id,
  });
  const purge = writ.tool({
    name: 'purge',
    permission: 'customers:delete',
    input: z.object({}),
    execute: async () => 'gone',
  });
  for (let t = 0; t < 3; t++) {
    await writ.task({ agent: `agent-${t}`, scope: ['orders:*'] }, async () => {
      await read.execute({ id: String(t) });
      await purge.execute({}).catch(() => undefined);
    });
  }
  await writ.close();
  const lines: StoredLine[] = [];
  for await (const line of readLines(join(dir, 'writ', 'audit'))) lines.push(line);
  const meta = JSON.parse(await readFile(join(dir, 'writ', 'audit', 'log.json'), 'utf8'));
  log = {
    lines,
    origin: meta.origin,
    verifierKey: fileAudit?.verifierKey as string,
    checkpoint: await readFile(join(dir, 'writ', 'audit', 'checkpoint'), 'utf8'),
  };
});
afterAll(async () => {
  await removeDir(dir);
});

/** Asserts that `fn` either returns or throws a WritError (with one of `codes`, when given). */
async function cleanOrTyped<T>(
  fn: () => T | Promise<T>,
  codes?: readonly WritErrorCode[],
): Promise<{ ok: true; value: T } | { ok: false; error: WritError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!WritError.isInstance(error)) throw new Error(`untyped failure: ${String(error)}`, { cause: error });
    if (codes !== undefined && !codes.includes(error.code))
      throw new Error(`unexpected code ${error.code}: ${error.message}`, { cause: error });
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------------------------------------------
// SPIFFE IDs

/** The SPIFFE ID rules, written independently of parseSpiffeId, as an oracle. */
function spiffeOracle(value: unknown): boolean {
  if (typeof value !== 'string' || Buffer.byteLength(value, 'utf8') > 2048) return false;
  const m = /^spiffe:\/\/([a-z0-9._-]{1,255})((?:\/[A-Za-z0-9._-]+)*)$/.exec(value);
  if (m === null) return false;
  return !(m[2] as string).split('/').some((s) => s === '.' || s === '..');
}

const spiffeChars = fc.constantFrom(
  ...'abcz09.-_/:@?#%AZ \u0000\u00e9\u{1F600}\\'.split(/(?:)/u),
  '//',
  '/./',
  '/../',
  '%2F',
  'spiffe://',
);
const validSpiffe = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789._-'.split('')),
      minLength: 1,
    }),
    fc.array(
      fc.string({
        unit: fc.constantFrom(...'abcXYZ019._-'.split('')),
        minLength: 1,
        maxLength: 12,
      }),
      { maxLength: 5 },
    ),
  )
  .map(([td, segments]) => `spiffe://${td}${segments.map((s) => `/${s}`).join('')}`);
/** A valid ID with pieces inserted, deleted or replaced at random positions. */
const mutatedSpiffe = fc
  .tuple(validSpiffe, fc.array(fc.tuple(fc.nat(), fc.nat(3), spiffeChars), { minLength: 1, maxLength: 4 }))
  .map(([id, edits]) => {
    let out = id;
    for (const [at, remove, piece] of edits) {
      const i = at % (out.length + 1);
      out = `${out.slice(0, i)}${piece}${out.slice(i + remove)}`;
    }
    return out;
  });
const longSpiffe = fc
  .tuple(fc.integer({ min: 2030, max: 2060 }), fc.constantFrom('a', 'é', '😀'))
  .map(([n, c]) => `spiffe://example.org/${c.repeat(Math.ceil((n - 21) / Buffer.byteLength(c)))}`);

describe('fuzz: SPIFFE ID parsing', () => {
  test.prop(
    [fc.oneof(mutatedSpiffe, validSpiffe, longSpiffe, fc.string({ unit: 'grapheme' }), fc.anything())],
    {
      numRuns: N.spiffe,
    },
  )(
    'parseSpiffeId agrees with an independent reading of the spec, and only ever throws WRIT_SPIFFE_ID_INVALID',
    async (value) => {
      runs.spiffe++;
      const verdict = await cleanOrTyped(() => parseSpiffeId(value), ['WRIT_SPIFFE_ID_INVALID']);
      expect(verdict.ok).toBe(spiffeOracle(value));
      expect(isSpiffeId(value)).toBe(verdict.ok);
      if (verdict.ok) {
        expect(String(verdict.value)).toBe(value);
        expect(parseTrustDomain(`spiffe://${verdict.value.trustDomain}`)).toBe(verdict.value.trustDomain);
      } else {
        runs.spiffeRefused++;
        expect(typeof verdict.error.details.reason).toBe('string');
      }
      // trust domain parsing takes the same hostile input
      await cleanOrTyped(() => parseTrustDomain(value), ['WRIT_SPIFFE_ID_INVALID']);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// task tokens

const AUD = 'https://payments.example';
const TOKEN_CODES: readonly WritErrorCode[] = [
  'WRIT_TOKEN_INVALID',
  'WRIT_TOKEN_EXPIRED',
  'WRIT_TOKEN_NOT_YET_VALID',
  'WRIT_TOKEN_REVOKED',
  'WRIT_AUDIENCE_MISMATCH',
  'WRIT_ISSUER_MISMATCH',
  'WRIT_SCOPE_EXCEEDED',
];
const nowSec = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({
  iss: 'spiffe://example.org',
  sub: 'alice@example.com',
  aud: AUD,
  txn: 'task-1',
  scope: 'orders:read',
  iat: nowSec(),
  exp: nowSec() + 300,
  jti: 'jti-1',
  act: { sub: 'spiffe://example.org/agent/support' },
  req_wl: 'spiffe://example.org/agent/support',
  tctx: { correlation_id: 'c' },
});
const claimNames = Object.keys(validClaims());
const junkValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(null, '', 0, -1, 1e308, Number.MAX_SAFE_INTEGER, true, [], {}, 'x'.repeat(5000)),
  fc.string(),
  fc.integer(),
);
/** `act` chains: nested, too deep, wrong shapes. */
const actClaim = fc.letrec<{ act: unknown }>((tie) => ({
  act: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junkValue,
    fc.record({ sub: fc.oneof(fc.string(), junkValue), act: fc.option(tie('act'), { nil: undefined }) }),
    fc.integer({ min: 30, max: 40 }).map((n) => {
      let act: Record<string, unknown> | undefined;
      for (let i = 0; i < n; i++) act = act === undefined ? { sub: `a${i}` } : { sub: `a${i}`, act };
      return act;
    }),
  ),
})).act;
/** Valid claims with some replaced, removed or added. */
const perturbedClaims = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...claimNames), junkValue, { maxKeys: 4 }),
    fc.subarray(claimNames, { maxLength: 3 }),
    fc.dictionary(fc.string(), junkValue, { maxKeys: 3 }),
    fc.option(actClaim, { nil: undefined }),
  )
  .map(([replaced, removed, extra, act]) => {
    const claims: Record<string, unknown> = { ...extra, ...validClaims(), ...replaced };
    for (const name of removed) delete claims[name];
    if (act !== undefined) claims.act = act;
    return claims;
  });
const headers = fc.oneof(
  fc.constant({}),
  fc.dictionary(
    fc.constantFrom('alg', 'typ', 'kid', 'crit', 'jwk', 'jku', 'x5u', 'x5c', 'b64', 'cty', 'zip', 'enc'),
    junkValue,
    { maxKeys: 4 },
  ),
);
const segment = fc.oneof(
  fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
  fc.json().map((j) => b64(j)),
  fc.string().map((s) => b64(s)),
  fc.uint8Array({ maxLength: 64 }).map((a) => b64(Buffer.from(a))),
);

/** Tokens of every kind of wrongness: junk strings, JWT-shaped junk, forged and genuinely signed junk. */
const hostileToken = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  fc.tuple(headers, perturbedClaims).map(([h, c]) => ({ forged: 'none' as const, h, c })),
  fc.tuple(headers, perturbedClaims).map(([h, c]) => ({ forged: 'authority' as const, h, c })),
  perturbedClaims.map((c) => ({ forged: 'signed' as const, h: {}, c })),
  // genuinely signed, every required claim right, only `act`, `tctx` and unknown claims hostile
  fc
    .tuple(
      fc.dictionary(fc.string(), junkValue, { maxKeys: 3 }),
      fc.option(actClaim, { nil: undefined }),
      junkValue,
    )
    .map(([extra, act, tctx]) => ({
      forged: 'signed' as const,
      h: {},
      c: { ...extra, ...validClaims(), tctx, ...(act === undefined ? {} : { act }) },
    })),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => ({ flip: [at, xor] as const })),
);

/** Materialises a generated token (signing needs the authority). */
async function materialise(spec: unknown): Promise<unknown> {
  if (typeof spec !== 'object' || spec === null) return spec;
  const s = spec as {
    forged?: 'none' | 'authority' | 'signed';
    h?: Record<string, unknown>;
    c?: Record<string, unknown>;
    flip?: readonly [number, number];
  };
  if (s.flip !== undefined) {
    const { token } = await mintTaskToken(authority, {
      attribution: {
        taskId: 'task-1',
        correlationId: 'c',
        autonomous: false,
        requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
        chain: [{ kind: 'agent', id: 'spiffe://example.org/agent/support', assurance: 'verified' }],
        scope: ['orders:read'],
      },
      audience: AUD,
      ttlSec: 300,
    });
    const bytes = Buffer.from(token);
    const at = s.flip[0] % bytes.length;
    bytes[at] = (bytes[at] as number) ^ s.flip[1];
    return bytes.toString('latin1');
  }
  if (s.forged === undefined) return spec; // fc.anything() produced an object: pass it as is
  const c = s.c as Record<string, unknown>;
  if (s.forged === 'signed') {
    try {
      return await authority.sign(c, { typ: 'txntoken+jwt' });
    } catch {
      return forge({ alg: 'EdDSA', typ: 'txntoken+jwt', kid: key.kid }, c, { alg: 'EdDSA', key: key.key });
    }
  }
  const h = { alg: 'EdDSA', typ: 'txntoken+jwt', kid: key.kid, ...s.h };
  return s.forged === 'none'
    ? forge({ ...h, alg: 'none' }, c, { alg: 'none' })
    : forge(h, c, { alg: 'EdDSA', key: key.key });
}

describe('fuzz: task token verification', () => {
  test.prop([hostileToken, fc.constantFrom(undefined, 'orders:read', ['orders:read', 'orders:write'])], {
    numRuns: N.token,
  })(
    'verifyTaskToken refuses with a token error code or returns a well-formed verdict',
    async (spec, requiredScope) => {
      runs.token++;
      const token = await materialise(spec);
      const verdict = await cleanOrTyped(
        () =>
          verifyTaskToken(token, {
            issuer: authority.issuer,
            audience: AUD,
            jwks: authority.jwks(),
            ...(requiredScope === undefined ? {} : { requiredScope }),
          }),
        TOKEN_CODES,
      );
      if (!verdict.ok) {
        runs.tokenRefused++;
        expect(verdict.error.message.length).toBeGreaterThan(0);
        return;
      }
      runs.tokenAccepted++;
      const v = verdict.value;
      // what a downstream service relies on is well-formed
      expect(typeof v.taskId === 'string' && v.taskId.length > 0).toBe(true);
      expect(typeof v.jti === 'string' && v.jti.length > 0).toBe(true);
      expect(typeof v.subject === 'string' && v.subject.length > 0).toBe(true);
      expect(v.actors.length).toBeGreaterThan(0);
      expect(v.actors.every((a) => typeof a === 'string' && a.length > 0)).toBe(true);
      expect(v.scope.every((s) => typeof s === 'string' && s.length > 0 && !s.includes(' '))).toBe(true);
      expect(v.audience).toContain(AUD);
      expect(v.issuer).toBe(authority.issuer);
      expect(Number.isFinite(v.expiresAt) && v.expiresAt > Date.now() - 10_000).toBe(true);
    },
  );

  test.prop(
    [
      fc.dictionary(
        fc.oneof(
          fc.constantFrom('txn-token', 'Txn-Token', 'TXN-TOKEN', 'authorization', 'Authorization'),
          fc.string(),
        ),
        fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined)),
        { maxKeys: 5 },
      ),
      fc.boolean(),
    ],
    { numRuns: N.requests },
  )(
    'verifyTaskTokenFromRequest takes any headers and answers with a token error code',
    async (headerMap, allowBearer) => {
      runs.requests++;
      const verdict = await cleanOrTyped(
        () =>
          verifyTaskTokenFromRequest(
            { headers: headerMap },
            { issuer: authority.issuer, audience: AUD, jwks: authority.jwks(), allowBearer },
          ),
        TOKEN_CODES,
      );
      expect(verdict.ok).toBe(false);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// audit lines

const asLine = (bytes: Buffer, complete = true): StoredLine => ({
  bytes,
  complete,
  segment: 'fuzz',
  offset: 0,
});
async function* each(lines: readonly StoredLine[]) {
  yield* lines;
}
const verifyAll = (lines: readonly StoredLine[], deep: boolean) =>
  verifyLines(each(lines), {
    origin: log.origin,
    recordedVerifierKey: log.verifierKey,
    verifierKey: log.verifierKey,
    publishedCheckpoint: log.checkpoint,
    deep,
  });

/** Length-preserving damage to the genuine log (every kind must be detected). */
const damage = fc.oneof(
  fc
    .tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(([l, b, x]) => ({ kind: 'flip' as const, l, b, x })),
  fc.tuple(fc.nat(), fc.nat()).map(([l, m]) => ({ kind: 'swap' as const, l, m })),
  fc.nat().map((l) => ({ kind: 'duplicate' as const, l })),
  fc.nat().map((l) => ({ kind: 'delete' as const, l })),
);

type Damage = {
  kind: 'flip' | 'swap' | 'duplicate' | 'delete';
  l: number;
  m?: number;
  b?: number;
  x?: number;
};

function applyDamage(d: Damage): StoredLine[] | undefined {
  const lines = [...log.lines];
  const l = d.l % lines.length;
  const line = lines[l] as StoredLine;
  if (d.kind === 'flip') {
    const bytes = Buffer.from(line.bytes);
    const b = (d.b as number) % bytes.length;
    bytes[b] = (bytes[b] as number) ^ (d.x as number);
    lines[l] = asLine(bytes);
  } else if (d.kind === 'swap') {
    const m = (d.m as number) % lines.length;
    if (m === l) return undefined;
    lines[l] = lines[m] as StoredLine;
    lines[m] = line;
  } else if (d.kind === 'duplicate') {
    lines.splice(l, 0, line);
  } else {
    lines.splice(l, 1);
  }
  return lines;
}

describe('fuzz: audit line parsing', () => {
  it('the genuine log verifies (the baseline the damage is applied to)', async () => {
    expect(log.lines.length).toBeGreaterThan(20);
    expect((await verifyAll(log.lines, true)).ok).toBe(true);
    expect((await verifyAll(log.lines, false)).ok).toBe(true);
  });

  test.prop([damage, fc.boolean()], { numRuns: N.damage })(
    'verifyLines answers every damaged copy of a real log with a verdict, and the verdict is "not ok"',
    async (d, deep) => {
      const lines = applyDamage(d);
      fc.pre(lines !== undefined);
      runs.lines++;
      const verdict = await cleanOrTyped(() => verifyAll(lines as StoredLine[], deep));
      expect(verdict.ok).toBe(true);
      if (verdict.ok) {
        expect(verdict.value.ok).toBe(false);
        expect(typeof verdict.value.firstBadIndex).toBe('number');
        runs.linesRejected++;
      }
    },
  );

  test.prop(
    [
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => asLine(Buffer.from(a))),
          fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => asLine(Buffer.from(s))),
          fc.json().map((j) => asLine(Buffer.from(j))),
          fc.string({ maxLength: 50 }).map((s) => asLine(Buffer.from(s), false)),
        ),
        { maxLength: 8 },
      ),
      fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      fc.boolean(),
    ],
    { numRuns: N.junk },
  )(
    'verifyLines answers arbitrary lines, alone or spliced into a real log, with a verdict',
    async (junk, at, deep) => {
      runs.lines++;
      const lines = at === undefined ? junk : [...log.lines.slice(0, at), ...junk, ...log.lines.slice(at)];
      const verdict = await cleanOrTyped(() => verifyAll(lines, deep));
      expect(verdict.ok).toBe(true);
      if (verdict.ok && junk.length > 0) {
        expect(verdict.value.ok).toBe(false);
        runs.linesRejected++;
      }
    },
  );

  // BUG (packages/audit/src/verify.ts, isCheckpointLine): for a line shaped like an envelope whose record is
  // shorter than the 19 bytes of `"kind":"checkpoint"` (e.g. `{"i":0,"p":"","r":{}}`), it calls
  // `bytes.compare(CHECKPOINT_MARK, 0, 19, start, start + 19)` with `start + 19 > bytes.length`, and Node
  // throws RangeError [ERR_OUT_OF_RANGE]. verifyLines / verifyLog (and so `writ verify`) crash on such a
  // log instead of naming the bad record. Reached without `deep` for every such line, and with `deep`
  // when such a line is the last one and breaks the hash chain (judgeSuspect). Fix: in isCheckpointLine,
  // `return start > 0 && start + CHECKPOINT_MARK.length <= bytes.length && bytes.compare(...) === 0`.
  it('verifyLines answers envelope-shaped junk records with a verdict (it throws RangeError)', async () => {
    const envelope = (first: number) =>
      fc
        .tuple(fc.nat(2), fc.constantFrom('', 'a'.repeat(64)), fc.json({ maxDepth: 1 }))
        .map(([k, p, r]) =>
          asLine(Buffer.from(`{"i":${first + k},"p":"${p}","r":${r.startsWith('{') ? r : '{}'}}`)),
        );
    await fc.assert(
      fc.asyncProperty(
        fc
          .boolean()
          .chain((after) =>
            fc.tuple(
              fc.constant(after),
              fc.array(envelope(after ? log.lines.length : 0), { minLength: 1, maxLength: 3 }),
            ),
          ),
        fc.boolean(),
        async ([after, junk], deep) => {
          // alone, or appended to the genuine log (then `deep` reaches it too)
          await cleanOrTyped(() => verifyAll(after ? [...log.lines, ...junk] : junk, deep));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// policy request mapping

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '::', 'a::b', '"', '\u0000', 'x'.repeat(3000)),
);
const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 63),
);
const principalRef = fc.record({
  kind: fc.constantFrom('human' as const, 'agent' as const, 'service' as const),
  id: anyText,
  name: fc.option(anyText, { nil: undefined }),
  assurance: fc.constantFrom('verified' as const, 'asserted' as const),
});
const authorizationRequest = fc
  .record({
    subjectId: anyText,
    name: fc.option(anyText, { nil: undefined }),
    requester: fc.option(principalRef, { nil: null }),
    chain: fc.array(principalRef, { maxLength: 4 }),
    chainDepth: fc.oneof(fc.nat(5), anyNumber),
    tool: anyText,
    risk: fc.oneof(fc.constantFrom('low', 'medium', 'high'), anyText),
    permission: anyText,
    readOnly: fc.option(fc.boolean(), { nil: undefined }),
    audience: fc.option(anyText, { nil: undefined }),
    resourceType: anyText,
    resourceId: anyText,
    resourceProperties: fc.option(fc.dictionary(fc.string(), fc.anything()), { nil: undefined }),
    scope: fc.array(anyText, { maxLength: 4 }),
    inScope: fc.boolean(),
    intent: fc.option(anyText, { nil: undefined }),
    environment: anyText,
    dataClassification: fc.option(anyText, { nil: undefined }),
    extra: fc.dictionary(fc.string(), fc.anything(), { maxKeys: 3 }),
  })
  .map(
    (g): AuthorizationRequest => ({
      subject: {
        type: 'Agent',
        id: g.subjectId,
        properties: {
          name: g.name,
          assurance: 'verified',
          requester: g.requester,
          chain: g.chain,
          chainDepth: g.chainDepth,
          autonomous: g.requester === null,
        },
      },
      action: {
        name: g.tool,
        properties: {
          risk: g.risk as 'low',
          toolType: 'function',
          permission: g.permission,
          audience: g.audience,
          readOnly: g.readOnly,
        },
      },
      resource: { type: g.resourceType, id: g.resourceId, properties: g.resourceProperties },
      context: {
        ...g.extra,
        taskId: 't',
        correlationId: 'c',
        scope: g.scope,
        inScope: g.inScope,
        risk: g.risk as 'low',
        environment: g.environment,
        chainDepth: g.chainDepth,
        autonomous: g.requester === null,
        argsDigest: 'sha256:00',
        intent: g.intent,
        dataClassification: g.dataClassification,
      },
    }),
  );

const BASE_REQUEST = fc.sample(authorizationRequest, { numRuns: 1, seed: 42 })[0] as AuthorizationRequest;

describe('fuzz: policy request mapping', () => {
  test.prop([authorizationRequest], { numRuns: N.cedarMapping })(
    'toCedarRequest maps any request without throwing, keeping the caller-given identifiers exactly',
    (request) => {
      runs.cedarMapping++;
      const before = JSON.stringify(request);
      const call = toCedarRequest(request);
      expect(JSON.stringify(request)).toBe(before); // the request is not mutated
      expect(call.principal.id).toBe(request.subject.id);
      expect(call.resource.id).toBe(request.action.name);
      expect(call.action.id).toBe('call_tool');
      const target = call.entities.find((e) => e.uid.type === 'Writ::Resource');
      expect(target?.attrs).toEqual({ kind: request.resource.type, id: request.resource.id });
      // only keys the schema declares reach Cedar: nothing from `extra`
      for (const k of Object.keys(call.context))
        expect([
          'taskId',
          'correlationId',
          'toolCallId',
          'intent',
          'scope',
          'inScope',
          'risk',
          'environment',
          'dataClassification',
          'chainDepth',
          'autonomous',
          'requester',
          'chain',
          'target',
          'argsDigest',
        ]).toContain(k);
    },
  );

  test.prop([authorizationRequest], { numRuns: N.cedarDecisions })(
    'the shipped Cedar policy decides any such request: a valid effect, never a throw, deny when the context is ill-typed',
    async (request) => {
      runs.cedarDecisions++;
      const verdict = await cleanOrTyped(() =>
        cedar.decide(request, { signal: new AbortController().signal }),
      );
      expect(verdict.ok).toBe(true);
      if (!verdict.ok) return;
      const d = verdict.value;
      expect(['allow', 'deny', 'approval_required']).toContain(d.effect);
      expect(d.evaluatedContext).toBe(request);
      const depth = request.context.chainDepth;
      if (!Number.isInteger(depth) || Math.abs(depth) >= 2 ** 63) {
        expect(d.effect).toBe('deny');
        expect(d.errors?.length).toBeGreaterThan(0);
      }
      if (d.effect === 'deny') runs.cedarDenied++;
    },
  );

  // Found by this suite (was `${type}::${id}`, so { type: 'Order', id: 'Line::7' } and
  // { type: 'Order::Line', id: '7' } shared Writ::Resource::"Order::Line::7"): the type's ':' and '%' are
  // now percent-encoded, so the first '::' always ends the type.
  it('distinct resources map to distinct Cedar target entities, and the type reads back from the id', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })),
        fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })),
        ([t1, i1], [t2, i2]) => {
          fc.pre(t1 !== t2 || i1 !== i2);
          const uid = (type: string, id: string) =>
            toCedarRequest({ ...BASE_REQUEST, resource: { type, id } }).context.target;
          expect(uid(t1, i1)).not.toEqual(uid(t2, i2));
          const id = (uid(t1, i1) as { __entity: { id: string } }).__entity.id;
          const cut = id.indexOf('::');
          expect(decodeURIComponent(id.slice(0, cut))).toBe(t1);
          expect(id.slice(cut + 2)).toBe(i1);
        },
      ),
      {
        numRuns: 500,
        examples: [
          [
            ['Order', 'Line::7'],
            ['Order::Line', '7'],
          ],
        ],
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// `_meta` / header extraction

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: n, maxLength: n });
const traceparentish = fc.oneof(
  fc.constantFrom(
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what',
  ),
  fc.tuple(hex(2), hex(32), hex(16), hex(2)).map((p) => p.join('-')),
);
const baggageish = fc.oneof(
  fc
    .array(fc.tuple(fc.string(), fc.string()), { maxLength: 200 })
    .map((kv) => kv.map(([k, v]) => `${k}=${v}`).join(',')),
  fc.constantFrom(
    'writ.correlation_id=%E0%A4%A',
    '%ZZ=1',
    'a=b;%zz',
    ',,,=',
    `writ.correlation_id=${'x'.repeat(9000)}`,
  ),
  fc.string(),
);
const carrierValue = fc.oneof(
  fc.string(),
  traceparentish,
  baggageish,
  fc.array(fc.string(), { maxLength: 3 }),
  fc.anything(),
);
const carrierKey = fc.oneof(
  fc.constantFrom(
    'traceparent',
    'TraceParent',
    'tracestate',
    'baggage',
    'BAGGAGE',
    TASK_TOKEN_HEADER,
    'Txn-Token',
    TASK_TOKEN_META_KEY,
    'IO.WRIT/TXN-TOKEN',
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.string(),
);
const recordCarrier = fc.dictionary(carrierKey, carrierValue, { maxKeys: 8 });
const headersCarrier = fc
  .array(
    fc.tuple(
      fc.constantFrom('traceparent', 'tracestate', 'baggage', 'txn-token', 'x-other'),
      fc.oneof(traceparentish, baggageish, fc.string()),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => {
    const h = new Headers();
    for (const [k, v] of pairs) {
      try {
        h.append(k, v);
      } catch {
        // not a legal header value: a real Headers object could not carry it either
      }
    }
    return h;
  });

function extractAll(carrier: Record<string, unknown> | Headers): void {
  const ctx = extractContext(carrier);
  expect(ctx).toBeDefined();
  const correlation = correlationIdFromContext(ctx);
  expect(correlation === undefined || (correlation.length > 0 && correlation.length <= 256)).toBe(true);
  const sc = trace.getSpanContext(ctx);
  if (sc !== undefined) {
    expect(sc.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(sc.traceId).not.toBe('0'.repeat(32));
    expect(sc.isRemote).toBe(true);
  }
  // MCP `_meta` is a record; a Fetch Headers carrier with format "mcp" used to throw (fixed, see the test below)
  const formats = carrier instanceof Headers ? (['http'] as const) : (['http', 'mcp'] as const);
  for (const format of formats) {
    const token = extractTaskToken(carrier, { format });
    expect(token === undefined || (typeof token === 'string' && token.length > 0)).toBe(true);
  }
}

describe('fuzz: _meta / header extraction', () => {
  test.prop([fc.oneof(recordCarrier, headersCarrier)], { numRuns: N.carriersOwn })(
    'extractContext / extractTaskToken take any carrier, with Writ’s own W3C parsing (no global propagator)',
    (carrier) => {
      runs.carriers++;
      expect(propagation.fields()).toEqual([]);
      extractAll(carrier);
    },
  );

  // BUG (packages/core/src/propagation.ts, getter.get / extractTaskToken): `Carrier` admits a Fetch
  // `Headers` for either format, but with `{ format: 'mcp' }` the getter calls
  // `headers.get('io.writ/txn-token')`, and '/' is not legal in a header name, so undici throws
  // TypeError ("invalid header name") out of extractTaskToken instead of answering `undefined`. Fix: in the
  // getter, catch and return undefined for Headers carriers (or look the MCP key up only in records).
  it('extractTaskToken(headers, { format: "mcp" }) answers undefined (it throws TypeError)', () => {
    const headers = new Headers({ 'txn-token': 'abc.def.ghi' });
    expect(extractTaskToken(headers, { format: 'mcp' })).toBeUndefined();
  });
});

describe('fuzz: _meta / header extraction, with the OTel SDK’s W3C propagators registered globally', () => {
  let tracing: ReturnType<typeof startTestTracing>;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  afterAll(async () => {
    await tracing.shutdown();
  });

  test.prop([fc.oneof(recordCarrier, headersCarrier)], { numRuns: N.carriersOtel })(
    'extractContext / extractTaskToken take any carrier',
    (carrier) => {
      runs.carriers++;
      expect(propagation.fields().length).toBeGreaterThan(0);
      context.with(ROOT_CONTEXT, () => extractAll(carrier));
    },
  );
});

describe('fuzz totals', () => {
  it('ran every case it claims', () => {
    console.log(`fuzz runs: ${JSON.stringify(runs)}`);
    expect(runs.spiffe).toBe(N.spiffe);
    expect(runs.spiffeRefused).toBeGreaterThan(0);
    expect(runs.token).toBe(N.token);
    expect(runs.tokenRefused + runs.tokenAccepted).toBe(N.token);
    expect(runs.requests).toBe(N.requests);
    // damage that turns out to be a no-op (swapping a line with itself) is skipped, not counted
    expect(runs.lines).toBeGreaterThan(N.damage * 0.9 + N.junk - 1);
    expect(runs.cedarMapping).toBe(N.cedarMapping);
    expect(runs.cedarDecisions).toBe(N.cedarDecisions);
    expect(runs.carriers).toBe(N.carriersOwn + N.carriersOtel);
  });
});
