/**
 * Revoked credential ids (`jti`) with their expiry. An entry is dropped once its credential has expired
 * anyway (plus a margin for clock skew), so the list stays as small as the set of live credentials.
 *
 * @example
 * ```ts
 * const revocations: RevocationList = createRevocationList();
 * revocations.revoke(verified.jti, verified.expiresAt); // e.g. on logout
 * revocations.isRevoked(verified.jti); // true until the token would have expired anyway
 * ```
 */
export interface RevocationList {
  /**
   * Marks a credential revoked until `expiresAt` (epoch ms). A list shared by several processes returns
   * a promise, resolved once the revocation is stored where every process sees it (callers await it).
   */
  revoke(jti: string, expiresAt: number): void | Promise<void>;
  /**
   * Whether a credential was revoked. A shared list that cannot vouch for its answer (its copy is stale)
   * throws a `WritError` rather than answer "not revoked": callers fail closed.
   */
  isRevoked(jti: string): boolean;
  /** Entries currently kept. */
  readonly size: number;
}

/**
 * Options of {@link createRevocationList}.
 *
 * @example
 * ```ts
 * // verifiers elsewhere tolerate 2 minutes of clock skew: keep entries that much past expiry
 * const options: CreateRevocationListOptions = { marginMs: 120_000 };
 * const revocations = createRevocationList(options);
 * ```
 */
export interface CreateRevocationListOptions {
  /** @default Date.now */
  clock?: () => number;
  /** Kept past expiry to cover verifiers' clock tolerance (ms). @default 60000 */
  marginMs?: number;
}

/**
 * An in-process revocation list, consulted by `verifyTaskToken` (pass `isRevoked: list.isRevoked`).
 *
 * @example
 * ```ts
 * const revocations = createRevocationList();
 * const broker = createCredentialBroker({ authority, revocations });
 * await verifyTaskToken(token, { issuer, audience, jwks, isRevoked: revocations.isRevoked });
 * ```
 */
export function createRevocationList(options: CreateRevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? Date.now;
  const margin = options.marginMs ?? 60_000;
  const entries = new Map<string, number>();
  let lastPrune = 0;
  const prune = () => {
    const now = clock();
    if (now - lastPrune < 1_000) return;
    lastPrune = now;
    for (const [jti, until] of entries) if (until + margin < now) entries.delete(jti);
  };
  return {
    revoke(jti, expiresAt) {
      entries.set(jti, Math.max(expiresAt, entries.get(jti) ?? 0));
      prune();
    },
    isRevoked(jti) {
      prune();
      return entries.has(jti);
    },
    get size() {
      return entries.size;
    },
  };
}
