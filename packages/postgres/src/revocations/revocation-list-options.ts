import type { WritError } from '@writ/core';
import { clockSchema, functionSchema } from '@writ/core/internal';
import type { RevocationList } from '@writ/identity';
import { z } from 'zod';
import { clientConnectionShape, oneConnection, type PgClientPool } from '../shared/pg-pool.js';

/**
 * Defaults of {@link createPostgresRevocationList}.
 *
 * @example
 * ```ts
 * // a tighter bound: refuse after 2 s without a confirmed copy
 * const revocations = await createPostgresRevocationList({
 *   pool,
 *   maxStalenessMs: POSTGRES_REVOCATION_DEFAULTS.maxStalenessMs / 5,
 * });
 * ```
 */
export const POSTGRES_REVOCATION_DEFAULTS = Object.freeze({
  /** Schema holding the tables. @default 'writ' */
  schema: 'writ',
  /** Longest time `isRevoked` answers "not revoked" from a copy not confirmed up to date, ms. @default 10000 */
  maxStalenessMs: 10_000,
  /** Kept past expiry to cover verifiers' clock tolerance, ms. @default 60000 */
  marginMs: 60_000,
  /** First wait before reconnecting a lost LISTEN connection (doubled up to `maxReconnectMs`), ms. @default 200 */
  reconnectMs: 200,
  /** @default 5000 */
  maxReconnectMs: 5_000,
  /** Rows per catch-up query. @default 5000 */
  pageSize: 5_000,
  /** Reason stored with a revocation when none is given. @default 'revoked' */
  reason: 'revoked',
});

/**
 * Options of {@link createPostgresRevocationList}.
 *
 * @example
 * ```ts
 * const options: CreatePostgresRevocationListOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   maxStalenessMs: 5_000,
 *   onError: (error) => console.warn(`revocations: ${error.code} ${error.message}`),
 * };
 * const revocations = await createPostgresRevocationList(options);
 * ```
 */
export interface CreatePostgresRevocationListOptions {
  /** A pool you own (`pg.Pool`); never ended by Writ. Exactly one of `pool` and `connectionString`. */
  pool?: PgClientPool;
  /** `postgres://…`; Writ opens a small pool and closes it. */
  connectionString?: string;
  /** @default 'writ' */
  schema?: string;
  /**
   * Where the LISTEN session connects (a direct server address). Needed when `pool`/`connectionString`
   * go through a transaction-mode pooler (PgBouncer), which cannot carry LISTEN.
   * @default a dedicated connection from `connectionString`, or one client held from `pool`
   */
  listenConnectionString?: string;
  /** Longest time "not revoked" is answered from a copy not confirmed up to date, ms. @default 10000 */
  maxStalenessMs?: number;
  /** How often the copy is confirmed against the table (catch-up), ms. @default maxStalenessMs / 4 */
  pollMs?: number;
  /** @default 60000 */
  marginMs?: number;
  /** Create the tables when missing (needs CREATE on the database; skipped when they exist). @default true */
  createTables?: boolean;
  /** Who revokes, stored with each revocation (`revoked_by`). @default a new id per list */
  instance?: string;
  /** @default Date.now */
  clock?: () => number;
  /** Lost connections, failed catch-ups (the list fails closed meanwhile). */
  onError?: (error: WritError) => void;
}

/**
 * Where a {@link PostgresRevocationList}'s copy stands.
 *
 * @example
 * ```ts
 * const { fresh, listening, seq } = revocations.state;
 * if (!fresh) console.warn(`revocations stale at #${seq} (listening: ${listening})`);
 * ```
 */
export interface PostgresRevocationState {
  /** `isRevoked` answers (else it throws for credentials it does not know revoked). */
  readonly fresh: boolean;
  /** The LISTEN session is up. */
  readonly listening: boolean;
  /** Sequence number of the last revocation copied. */
  readonly seq: number;
  /** When the copy was last confirmed complete (`clock()` ms), if it ever was on this session. */
  readonly confirmedAt: number | undefined;
}

/**
 * A revocation list every replica sees (see {@link createPostgresRevocationList}).
 *
 * @example
 * ```ts
 * const revocations: PostgresRevocationList = await createPostgresRevocationList({ pool });
 * await revocations.revoke(verified.jti, verified.expiresAt, 'logout');
 * revocations.state.fresh; // true while the NOTIFY session is up and confirmed
 * await revocations.close();
 * ```
 */
export interface PostgresRevocationList extends RevocationList {
  /** Stores the revocation (resolves once committed; every replica is notified), and copies it here first. */
  revoke(jti: string, expiresAt: number, reason?: string): Promise<void>;
  /**
   * `true` for a credential known revoked. For any other, `false` only while the copy is fresh; otherwise
   * throws `WRIT_IDENTITY_UNAVAILABLE` (`details.reason: 'revocations_stale'`): callers fail closed.
   */
  isRevoked(jti: string): boolean;
  /** Catches up with the table now; rejects (typed) when it cannot. */
  sync(): Promise<void>;
  /** Deletes revocations whose credentials expired more than `marginMs` ago; returns how many. */
  prune(): Promise<number>;
  readonly state: PostgresRevocationState;
  /** Stops listening; ends the pool when Writ opened it. `isRevoked` then throws. */
  close(): Promise<void>;
}

/** What `createPostgresRevocationList` checks its options against. @internal */
export const revocationListOptionsSchema = z
  .strictObject({
    ...clientConnectionShape,
    listenConnectionString: z.string().min(1).optional(),
    maxStalenessMs: z.number().int().min(100).max(3_600_000).optional(),
    pollMs: z.number().int().min(10).max(3_600_000).optional(),
    marginMs: z.number().int().min(0).max(86_400_000).optional(),
    createTables: z.boolean().optional(),
    instance: z.string().min(1).max(256).optional(),
    clock: clockSchema.optional(),
    onError: functionSchema<(e: WritError) => void>().optional(),
  })
  .refine(...oneConnection)
  .refine((o) => o.pollMs === undefined || o.pollMs < (o.maxStalenessMs ?? 10_000), {
    message: 'must be less than maxStalenessMs',
    path: ['pollMs'],
  });
