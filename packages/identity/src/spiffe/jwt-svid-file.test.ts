import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WritError } from '@writ/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure as refusal } from '../__support__/failure.js';
import { createRecorder, createTestAuthority, type TestAuthority } from './__support__/svid-fixtures.js';
import { validateJwtSvid } from './jwt-svid.js';
import {
  createJwtSvidFileSource,
  type JwtSvidFileSource,
  type JwtSvidFileSourceOptions,
} from './jwt-svid-file.js';

let example: TestAuthority;
let partner: TestAuthority;
let dir: string;
let svidPath: string;
let bundlePath: string;
const sources: JwtSvidFileSource[] = [];

beforeAll(() => {
  example = createTestAuthority('example.org', { alg: 'ES256' });
  partner = createTestAuthority('partner.io', { alg: 'RS256' });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'writ-svid-file-'));
  svidPath = join(dir, 'jwt_svid.token');
  bundlePath = join(dir, 'jwt_bundle.json');
});

afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: Partial<JwtSvidFileSourceOptions> = {}): Promise<JwtSvidFileSource> {
  const source = await createJwtSvidFileSource({ svidPath, bundlePath, debounceMs: 10, ...options });
  sources.push(source);
  return source;
}

/** The shape spiffe-helper writes: trust domain name → base64 of the JWK Set JSON. */
const helperBundles = (...authorities: TestAuthority[]) =>
  JSON.stringify(
    Object.fromEntries(
      authorities.map((a) => [a.trustDomain, Buffer.from(JSON.stringify(a.jwks())).toString('base64')]),
    ),
  );

describe('createJwtSvidFileSource', () => {
  it('reads the SVID and a bare JWK Set (trust domain of sub), and the SVID validates against those bundles', async () => {
    writeFileSync(svidPath, `${example.mint({ sub: 'spiffe://example.org/agent/support' })}\n`);
    writeFileSync(bundlePath, JSON.stringify(example.jwks()));
    const source = await open({ watch: 'off' });
    const svid = source.current();
    expect(svid.spiffeId).toBe('spiffe://example.org/agent/support');
    expect(svid.audience).toEqual(['writ']);
    expect(source.bundles.trustDomains()).toEqual(['example.org']);
    const validated = await validateJwtSvid(svid.token, { audience: 'writ', bundles: source.bundles });
    expect(validated.expiresAt).toEqual(svid.expiresAt);
  });

  it('reads the spiffe-helper bundle file (trust domain → base64 JWK Set), federated domains included', async () => {
    writeFileSync(svidPath, partner.mint({ sub: 'spiffe://partner.io/agent/x' }));
    writeFileSync(bundlePath, helperBundles(example, partner));
    const source = await open({ watch: 'off' });
    expect(source.bundles.trustDomains()).toEqual(['example.org', 'partner.io']);
    await expect(
      validateJwtSvid(source.current().token, { audience: 'writ', bundles: source.bundles }),
    ).resolves.toBeDefined();
  });

  it.each(['auto', 'poll'] as const)('picks up a rotated SVID and new bundles (watch: %s)', async (watch) => {
    writeFileSync(svidPath, example.mint({ jti: 'first' }));
    writeFileSync(bundlePath, helperBundles(example));
    const updates = createRecorder<string>();
    const source = await open({
      watch,
      pollIntervalMs: 20,
      onUpdate: (s) => updates.push(s.current().token),
    });

    const rotated = example.mint({ jti: 'second' });
    writeFileSync(bundlePath, helperBundles(example, partner));
    writeFileSync(svidPath, rotated);
    await updates.until((token) => token === rotated && source.bundles.has('partner.io'));
    expect(source.current().token).toBe(rotated);
    expect(source.bundles.trustDomains()).toEqual(['example.org', 'partner.io']);
  });

  it('does not miss a rotation made right after it opened, before its watch took its first look', async () => {
    writeFileSync(svidPath, example.mint({ jti: 'first' }));
    writeFileSync(bundlePath, helperBundles(example));
    const updates = createRecorder<string>();
    // a poll interval far longer than the test: only the re-read once the watch is set can see the change
    const source = await open({
      watch: 'poll',
      pollIntervalMs: 3_600_000,
      onUpdate: (s) => updates.push(s.current().token),
    });
    const rotated = example.mint({ jti: 'early' });
    writeFileSync(svidPath, rotated);
    await updates.until((token) => token === rotated);
    expect(source.current().token).toBe(rotated);
  });

  it('notices a rename-replace of the SVID file (atomic writers)', async () => {
    writeFileSync(svidPath, example.mint({ jti: 'first' }));
    writeFileSync(bundlePath, helperBundles(example));
    const updates = createRecorder<string>();
    const source = await open({ onUpdate: (s) => updates.push(s.current().token) });
    const rotated = example.mint({ jti: 'renamed' });
    writeFileSync(join(dir, '.tmp-token'), rotated);
    renameSync(join(dir, '.tmp-token'), svidPath);
    await updates.until((token) => token === rotated);
    expect(source.current().token).toBe(rotated);
  });

  it('refuses at creation an expired, unparsable or missing SVID, and a bad bundle file', async () => {
    writeFileSync(bundlePath, JSON.stringify(example.jwks()));
    writeFileSync(svidPath, example.mint({ iat: 1_000, exp: 2_000 }));
    expect(await refusal(open())).toMatchObject({
      code: 'WRIT_TOKEN_EXPIRED',
      details: { reason: 'expired' },
    });

    writeFileSync(svidPath, 'not a token');
    expect(await refusal(open())).toMatchObject({
      code: 'WRIT_TOKEN_INVALID',
      details: { reason: 'unparsable' },
    });

    writeFileSync(svidPath, example.mint({ sub: 'spiffe://example.org/agent/' }));
    expect(await refusal(open())).toMatchObject({
      code: 'WRIT_TOKEN_INVALID',
      details: { reason: 'unparsable' },
    });

    rmSync(svidPath);
    expect(await refusal(open())).toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      details: { reason: 'file_unreadable' },
    });

    writeFileSync(svidPath, example.mint());
    writeFileSync(bundlePath, '{"keys": [');
    expect(await refusal(open())).toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
      details: { reason: 'not_json', path: bundlePath },
    });
  });

  it('refuses an SVID that expires while loaded (injected clock)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    writeFileSync(svidPath, example.mint({ exp }));
    writeFileSync(bundlePath, JSON.stringify(example.jwks()));
    let now = Date.now();
    const source = await open({ watch: 'off', clock: () => now });
    expect(source.current().expiresAt.getTime()).toBe(exp * 1000);
    now = exp * 1000 + 1;
    expect(() => source.current()).toThrow(expect.objectContaining({ code: 'WRIT_TOKEN_EXPIRED' }));
  });

  it('fails closed while a rewritten file is broken, and recovers when it is fixed', async () => {
    writeFileSync(svidPath, example.mint());
    writeFileSync(bundlePath, JSON.stringify(example.jwks()));
    const errors = createRecorder<WritError>();
    const updates = createRecorder<string>();
    const source = await open({ onError: errors.push, onUpdate: (s) => updates.push(s.current().token) });

    writeFileSync(svidPath, 'garbage');
    const error = await errors.until();
    expect(error.code).toBe('WRIT_TOKEN_INVALID');
    expect(() => source.current()).toThrow(expect.objectContaining({ code: 'WRIT_TOKEN_INVALID' }));

    const fixed = example.mint({ jti: 'fixed' });
    writeFileSync(svidPath, fixed);
    await updates.until((token) => token === fixed);
    expect(source.current().token).toBe(fixed);
  });

  it('reload() re-reads on demand; close() stops the source', async () => {
    writeFileSync(svidPath, example.mint());
    writeFileSync(bundlePath, JSON.stringify(example.jwks()));
    const source = await open({ watch: 'off' });
    const next = example.mint({ jti: 'manual' });
    writeFileSync(svidPath, next);
    await source.reload();
    expect(source.current().token).toBe(next);
    writeFileSync(svidPath, 'broken');
    expect((await refusal(source.reload())).code).toBe('WRIT_TOKEN_INVALID');
    await source.close();
    expect(() => source.current()).toThrow(expect.objectContaining({ details: { reason: 'closed' } }));
  });

  it('validates options eagerly', async () => {
    expect(await refusal(createJwtSvidFileSource({ svidPath: '', bundlePath }))).toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    const error = await refusal(createJwtSvidFileSource({ svidPath, bundlePath, watch: 'inotify' as never }));
    expect(error.message).toContain('options.watch');
    expect((await refusal(createJwtSvidFileSource({ svidPath, bundlePath, trustDomain: 'Bad' }))).code).toBe(
      'WRIT_SPIFFE_ID_INVALID',
    );
  });
});
