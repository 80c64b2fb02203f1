import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import { z } from 'zod';
import {
  authorityKeyFromText,
  localJwtSign,
  localJwtSignLater,
  type RemoteJwtSigner,
  remoteJwtSign,
} from './authority-key.js';

/**
 * Signing algorithm of the local authority (Ed25519).
 *
 * @example
 * ```ts
 * import { createRemoteJWKSet, jwtVerify } from 'jose';
 *
 * // a service that verifies what the authority signs with jose directly
 * const jwks = createRemoteJWKSet(new URL('https://support.example.com/.well-known/jwks.json'));
 * const { payload } = await jwtVerify(token, jwks, { algorithms: [LOCAL_AUTHORITY_ALGORITHM], issuer: 'spiffe://writ.local' });
 * ```
 */
export const LOCAL_AUTHORITY_ALGORITHM = 'EdDSA';

/**
 * Defaults of {@link createLocalAuthority}: where its key lives and the trust domain it vouches for.
 *
 * @example
 * ```ts
 * import { join } from 'node:path';
 *
 * // one key directory per service, same trust domain
 * const authority = await createLocalAuthority({ dir: join(LOCAL_AUTHORITY_DEFAULTS.dir, 'orders') });
 * authority.trustDomain === LOCAL_AUTHORITY_DEFAULTS.trustDomain; // true
 * ```
 */
export const LOCAL_AUTHORITY_DEFAULTS = Object.freeze({
  /** @default '.writ/keys' (relative to the working directory) */
  dir: '.writ/keys',
  /** @default 'writ.local' */
  trustDomain: 'writ.local',
});

/**
 * Options of {@link createLocalAuthority}.
 *
 * @example
 * ```ts
 * const options: CreateLocalAuthorityOptions = { dir: '/var/lib/support/writ-keys', trustDomain: 'support.example' };
 * const authority = await createLocalAuthority(options);
 * authority.issuer; // 'spiffe://support.example'
 * ```
 */
export interface CreateLocalAuthorityOptions {
  /** Where the key file lives; created with mode 0700, the file with 0600. @default '.writ/keys' */
  dir?: string;
  /** SPIFFE trust domain of the agent ids it vouches for. @default 'writ.local' */
  trustDomain?: string;
  /** `iss` of what it signs. @default `spiffe://<trustDomain>` */
  issuer?: string;
  /**
   * Whether a missing key file in `dir` may be created. `false` (replicas of a fleet, where a key made up
   * by one replica would sign tokens nobody trusts) refuses to start without it:
   * `WRIT_IDENTITY_UNAVAILABLE`, reason `authority_key_missing`. @default true
   */
  create?: boolean;
  /**
   * The key itself instead of a key file, e.g. from a secret in an environment variable: a private
   * Ed25519 JWK (object or JSON text), or the text of an `authority.json` key file (current key signs,
   * the others stay trusted). Nothing is read from or written to `dir`; `rotate()` is refused.
   */
  key?: string | JWK;
  /**
   * A signer whose private key stays elsewhere (KMS, HSM, a signing service): its public JWK and an
   * asynchronous `sign`. Every signature is verified with the public key before use. `rotate()` is refused.
   */
  signer?: RemoteJwtSigner;
}

/**
 * An embedded signing authority: one Ed25519 key (plus retired keys kept for verification), created on
 * first use, that vouches for agent ids `spiffe://<trust-domain>/agent/<name>` and signs task tokens
 * and credentials. The zero-config identity of Writ; swap in SPIRE or an OIDC provider for production.
 *
 * @example
 * ```ts
 * const authority: LocalAuthority = await createLocalAuthority();
 * const identity = createLocalIdentity({ authority });
 * const credentials = createCredentialBroker({ authority });
 * // downstream services verify what it signs with its public keys
 * await verifyTaskToken(token, { issuer: authority.issuer, audience: authority.issuer, jwks: authority.jwks() });
 * await authority.rotate(); // new signing key; the previous one stays trusted
 * ```
 */
export interface LocalAuthority {
  readonly trustDomain: string;
  readonly issuer: string;
  readonly dir: string;
  /** Key id (RFC 7638 thumbprint) of the current signing key. */
  readonly kid: string;
  /** The SPIFFE ID of an agent name. Throws `WRIT_SPIFFE_ID_INVALID` for names that are not a path segment. */
  agentId(name: string): string;
  /** Public keys (current first, then retired ones still trusted), for verifiers. */
  jwks(): JSONWebKeySet;
  /** A jose key resolver (`createLocalJWKSet`) over {@link LocalAuthority.jwks}. */
  keyResolver(): ReturnType<typeof createLocalJWKSet>;
  /** Signs a JWT with the current key (`alg: EdDSA`, `kid`, the given `typ`). */
  sign(payload: JWTPayload, options?: { typ?: string }): Promise<string>;
  /**
   * {@link LocalAuthority.sign} deferred to the first call of the returned function: the header (with
   * the current key's `kid`) and the payload are fixed now, with the current key; the Ed25519 signature
   * is made when the token is first needed, and the bytes are those `sign` would have returned now.
   * `undefined` when the key is held by a remote `signer` (its signature is asynchronous: use `sign`).
   * Brokers mint credentials this way so that a token nobody reads is never signed.
   */
  signLater?(payload: JWTPayload, options?: { typ?: string }): (() => string) | undefined;
  /** Makes a new current key; the previous one stays in {@link LocalAuthority.jwks} until `retainPrevious` keys are exceeded. */
  rotate(options?: { retainPrevious?: number }): Promise<string>;
}

/**
 * zod schema of an option that must be a {@link LocalAuthority} (made by `createLocalAuthority`).
 *
 * @example
 * ```ts
 * const optionsSchema = z.strictObject({ authority: localAuthoritySchema });
 * ```
 * @internal
 */
export const localAuthoritySchema = z.custom<LocalAuthority>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LocalAuthority).sign === 'function' &&
    typeof (v as LocalAuthority).agentId === 'function',
  { message: 'must be a LocalAuthority (createLocalAuthority())' },
);

/** @internal the content of `authority.json`. */
export interface KeyFile {
  readonly v: 1;
  readonly current: string;
  readonly keys: JWK[];
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

const optionsSchema = z
  .strictObject({
    dir: z.string().min(1).optional(),
    trustDomain: z
      .string()
      .regex(/^[a-z0-9._-]{1,255}$/, 'must be a SPIFFE trust domain ([a-z0-9._-], at most 255 characters)')
      .optional(),
    issuer: z.string().min(1).optional(),
    create: z.boolean().optional(),
    key: z
      .union([z.string().min(1), z.custom<JWK>((v) => typeof v === 'object' && v !== null, 'must be a JWK')])
      .optional(),
    signer: z
      .strictObject({
        publicJwk: z.custom<JWK>((v) => typeof v === 'object' && v !== null, 'must be a public JWK'),
        sign: functionSchema<RemoteJwtSigner['sign']>(),
      })
      .optional(),
  })
  .refine((o) => [o.key, o.signer].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of key and signer',
    path: ['key'],
  });

/**
 * Opens (or creates on first use) the local authority's key in `dir`. The key file must not be readable
 * by group or others; a file that is refuses to load (like ssh does).
 *
 * @example
 * ```ts
 * const authority = await createLocalAuthority(); // .writ/keys, trust domain writ.local
 * authority.agentId('support'); // 'spiffe://writ.local/agent/support'
 * const jwks = authority.jwks(); // publish to downstream verifiers
 * ```
 */
export async function createLocalAuthority(
  options: CreateLocalAuthorityOptions = {},
): Promise<LocalAuthority> {
  const parsed = validateOptions(optionsSchema, options, 'createLocalAuthority');
  const dir = resolve(parsed.dir ?? LOCAL_AUTHORITY_DEFAULTS.dir);
  const trustDomain = parsed.trustDomain ?? LOCAL_AUTHORITY_DEFAULTS.trustDomain;
  const issuer = parsed.issuer ?? `spiffe://${trustDomain}`;
  const file = join(dir, 'authority.json');
  const fixed = parsed.key !== undefined || parsed.signer !== undefined;

  let state =
    parsed.signer !== undefined
      ? await remoteState(parsed.signer)
      : parsed.key !== undefined
        ? await authorityKeyFromText(parsed.key)
        : await loadOrCreate(dir, file, parsed.create ?? true);
  let signingKey = parsed.signer === undefined ? privateKeyOf(state) : undefined;
  let publicJwks = toPublicJwks(state);
  let resolver = createLocalJWKSet(publicJwks);

  const install = (next: KeyFile) => {
    state = next;
    signingKey = privateKeyOf(next);
    publicJwks = toPublicJwks(next);
    resolver = createLocalJWKSet(publicJwks);
  };

  return {
    trustDomain,
    issuer,
    dir,
    get kid() {
      return state.current;
    },
    agentId(name: string) {
      if (!SEGMENT.test(name) || name === '.' || name === '..' || name.length > 255) {
        throw new WritError(
          'WRIT_SPIFFE_ID_INVALID',
          `agent name ${JSON.stringify(name)} is not a valid SPIFFE path segment`,
          {
            details: { reason: 'invalid_agent_name' },
          },
        );
      }
      return `spiffe://${trustDomain}/agent/${name}`;
    },
    jwks: () => structuredClone(publicJwks),
    keyResolver: () => resolver,
    async sign(payload, signOptions = {}) {
      const header = headerOf(state.current, signOptions.typ);
      if (parsed.signer !== undefined) return remoteJwtSign(parsed.signer, header, payload);
      return localJwtSign(header, payload, signingKey as KeyObject);
    },
    signLater(payload, signOptions = {}) {
      if (parsed.signer !== undefined) return undefined;
      return localJwtSignLater(headerOf(state.current, signOptions.typ), payload, signingKey as KeyObject);
    },
    async rotate(rotateOptions = {}) {
      if (fixed) {
        throw new WritError(
          'WRIT_OPTIONS_INVALID',
          'rotate: this authority was given its key (key or signer): rotate it where it is kept, and restart with the new one',
        );
      }
      const retain = rotateOptions.retainPrevious ?? 2;
      const fresh = await newKey();
      const others = state.keys.filter((k) => k.kid !== fresh.kid);
      const next: KeyFile = { v: 1, current: fresh.kid as string, keys: [fresh, ...others.slice(0, retain)] };
      await writeKeyFile(file, next, true);
      install(next);
      return next.current;
    },
  };
}

async function loadOrCreate(dir: string, file: string, create: boolean): Promise<KeyFile> {
  if (!create) {
    try {
      return await readKeyFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new WritError(
        'WRIT_IDENTITY_UNAVAILABLE',
        `the local authority's key ${file} is missing and creating keys is off: provision the key (or pass key / signer) before starting`,
        { details: { reason: 'authority_key_missing' } },
      );
    }
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const info = await stat(dir);
    if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  }
  try {
    return await readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = await newKey();
  const created: KeyFile = { v: 1, current: key.kid as string, keys: [key] };
  try {
    await writeKeyFile(file, created, false);
    return created;
  } catch (error) {
    // another process created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw error;
  }
}

/** @internal */
export function checkKeyFile(parsed: Partial<KeyFile>, where: string): KeyFile {
  if (
    parsed.v !== 1 ||
    typeof parsed.current !== 'string' ||
    !Array.isArray(parsed.keys) ||
    !parsed.keys.some((k) => k.kid === parsed.current)
  ) {
    throw new WritError('WRIT_IDENTITY_INVALID', `local authority key ${where} is not a Writ key file`, {
      details: { reason: 'key_file_malformed' },
    });
  }
  return parsed as KeyFile;
}

async function readKeyFile(file: string): Promise<KeyFile> {
  if (process.platform !== 'win32') {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) {
      throw new WritError(
        'WRIT_IDENTITY_INVALID',
        `local authority key file ${file} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
        { details: { reason: 'key_file_permissions' } },
      );
    }
  }
  return checkKeyFile(JSON.parse(await readFile(file, 'utf8')) as Partial<KeyFile>, `file ${file}`);
}

async function writeKeyFile(file: string, content: KeyFile, replace: boolean): Promise<void> {
  const text = `${JSON.stringify(content, null, 2)}\n`;
  if (!replace) {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
}

/** @internal */
export async function newKey(): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK);
  return { ...jwk, kid, alg: LOCAL_AUTHORITY_ALGORITHM, use: 'sig' };
}

/** @internal */
export function privateKeyOf(state: KeyFile): KeyObject {
  const jwk = state.keys.find((k) => k.kid === state.current) as JWK;
  return createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
}

/** The key state of a remote signer: its public key only (what `jwks()` publishes). */
async function remoteState(signer: RemoteJwtSigner): Promise<KeyFile> {
  const { kty, crv, x } = signer.publicJwk;
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || 'd' in signer.publicJwk) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'createLocalAuthority: options.signer.publicJwk must be a public Ed25519 JWK (kty OKP, crv Ed25519, x)',
    );
  }
  const kid = await calculateJwkThumbprint({ kty, crv, x } as JWK);
  return { v: 1, current: kid, keys: [{ kty, crv, x, kid, alg: LOCAL_AUTHORITY_ALGORITHM, use: 'sig' }] };
}

function toPublicJwks(state: KeyFile): JSONWebKeySet {
  return {
    keys: state.keys.map((k) => ({
      kty: k.kty,
      crv: k.crv,
      x: k.x,
      kid: k.kid,
      alg: LOCAL_AUTHORITY_ALGORITHM,
      use: 'sig',
    })),
  };
}

/** The JWS header of the authority's tokens: `alg: EdDSA`, the key's `kid`, the `typ` asked for. */
function headerOf(kid: string, typ: string | undefined): { alg: string; kid: string; typ?: string } {
  const header: { alg: string; kid: string; typ?: string } = { alg: LOCAL_AUTHORITY_ALGORITHM, kid };
  if (typ !== undefined) header.typ = typ;
  return header;
}
