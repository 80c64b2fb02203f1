import { randomBytes } from 'node:crypto';
import { type Credential, createCredential } from '../credential.js';
import { WritError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import {
  type CallCredentialRequest,
  type CallOptions,
  type CredentialBroker,
  type RevokeTaskOptions,
  runKey,
  type TaskCredentialRequest,
} from '../interfaces.js';
import { isScopeSubset } from '../scope.js';

/**
 * Options of {@link createInMemoryCredentialBroker}.
 *
 * @example
 * ```ts
 * let now = Date.parse('2030-01-01T00:00:00Z');
 * const options: InMemoryCredentialBrokerOptions = { ttlMs: 60_000, clock: () => now };
 * const credentials = createInMemoryCredentialBroker(options);
 * // … issue a credential, then let it expire …
 * now += 61_000;
 * ```
 */
export interface InMemoryCredentialBrokerOptions {
  /** Lifetime of issued credentials. @default 300000 (5 minutes) */
  ttlMs?: number;
  /** @default Date.now */
  clock?: () => number;
}

/**
 * An in-memory broker, able to check the opaque tokens it issued.
 *
 * @example
 * ```ts
 * const credentials: InMemoryCredentialBroker = createInMemoryCredentialBroker();
 * // … a task calls a tool with audience 'https://payments.example.com' …
 * const [taskToken, paymentsToken] = credentials.issued;
 * expect(paymentsToken?.audience).toBe('https://payments.example.com');
 * expect(credentials.isRevoked(taskToken?.jti ?? '')).toBe(true); // the task has ended
 * ```
 */
export interface InMemoryCredentialBroker extends CredentialBroker {
  /** Every credential issued, in order. */
  readonly issued: Credential[];
  /** Resolves a token the broker issued; refuses unknown (`WRIT_IDENTITY_INVALID`), revoked or expired ones. */
  verify(token: string, options?: { audience?: string }): Credential;
  isRevoked(jti: string): boolean;
}

/**
 * A credential broker for tests: opaque random tokens, cached per task and audience, revoked when
 * the task ends; `verify(token)` refuses revoked and expired tokens like a downstream service would.
 *
 * @example
 * ```ts
 * const credentials = createInMemoryCredentialBroker();
 * const writ = createWrit({ credentials, ... });
 * credentials.verify(token); // throws WRIT_TOKEN_REVOKED once the task has ended
 * ```
 */
export function createInMemoryCredentialBroker(
  options: InMemoryCredentialBrokerOptions = {},
): InMemoryCredentialBroker {
  const ttlMs = options.ttlMs ?? 300_000;
  const clock = options.clock ?? Date.now;
  const issued: Credential[] = [];
  const byToken = new Map<string, { credential: Credential; run: string }>();
  /** What was issued, per run of a task (`runKey`). */
  const byRun = new Map<string, Credential[]>();
  const perAudience = new Map<string, Credential>();
  const revoked = new Set<string>();

  const mint = (run: string, scope: readonly string[], type: string, audience?: string): Credential => {
    const credential = createCredential({
      token: `writ_test_${randomBytes(18).toString('base64url')}`,
      jti: uuidv7(clock()),
      type,
      audience,
      scope,
      expiresAt: clock() + ttlMs,
    });
    issued.push(credential);
    byToken.set(credential.token, { credential, run });
    const list = byRun.get(run) ?? [];
    list.push(credential);
    byRun.set(run, list);
    return credential;
  };

  return {
    name: 'in-memory',
    issued,
    async issueTaskCredential(request: TaskCredentialRequest, _options: CallOptions): Promise<Credential> {
      const { attribution, parent } = request;
      if (parent !== undefined && !isScopeSubset(attribution.scope, parent.scope)) {
        throw new WritError(
          'WRIT_SCOPE_EXCEEDED',
          'a delegated credential cannot carry more scope than its parent',
        );
      }
      return mint(runKey(attribution), attribution.scope, 'urn:ietf:params:oauth:token-type:txn_token');
    },
    async credentialFor(request: CallCredentialRequest, _options: CallOptions): Promise<Credential> {
      const run = runKey(request.attribution);
      const key = `${run}\u0000${request.audience}`;
      const cached = perAudience.get(key);
      if (cached !== undefined && !revoked.has(cached.jti) && cached.expiresAt > clock()) return cached;
      const credential = mint(
        run,
        request.attribution.scope,
        'urn:ietf:params:oauth:token-type:access_token',
        request.audience,
      );
      perAudience.set(key, credential);
      return credential;
    },
    async revokeTask(taskId: string, options: RevokeTaskOptions): Promise<readonly Credential[]> {
      const runs =
        options.runId === undefined
          ? [...byRun.keys()].filter((k) => k.startsWith(`${taskId}\u0000`))
          : [runKey({ taskId, runId: options.runId })];
      const list = runs.flatMap((k) => byRun.get(k) ?? []);
      for (const k of runs) byRun.delete(k);
      const now = list.filter((c) => !revoked.has(c.jti));
      for (const c of now) revoked.add(c.jti);
      return now;
    },
    verify(token: string, verifyOptions: { audience?: string } = {}): Credential {
      const entry = byToken.get(token);
      if (entry === undefined) throw new WritError('WRIT_IDENTITY_INVALID', 'unknown token');
      const { credential } = entry;
      if (revoked.has(credential.jti))
        throw new WritError('WRIT_TOKEN_REVOKED', 'token was revoked', { details: { jti: credential.jti } });
      if (credential.expiresAt <= clock())
        throw new WritError('WRIT_TOKEN_EXPIRED', 'token expired', { details: { jti: credential.jti } });
      if (verifyOptions.audience !== undefined && credential.audience !== verifyOptions.audience) {
        throw new WritError('WRIT_AUDIENCE_MISMATCH', 'token is for another audience', {
          details: { jti: credential.jti },
        });
      }
      return credential;
    },
    isRevoked: (jti: string) => revoked.has(jti),
  };
}
