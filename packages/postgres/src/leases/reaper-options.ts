import type { WritError } from '@writ/core';
import { clockSchema, fetchSchema, functionSchema, timeoutSchema } from '@writ/core/internal';
import type { AuditSink } from '@writ/core/plugin';
import type { ClientAuthMethod } from '@writ/identity';
import { z } from 'zod';
import { clientConnectionShape, oneConnection, type PgClientPool } from '../shared/pg-pool.js';
import { tokenKeySchema } from '../shared/token-seal.js';

/**
 * Defaults of {@link createReaper}.
 *
 * @example
 * ```ts
 * const reaper = await createReaper({ pool, audit, revocations, intervalMs: REAPER_DEFAULTS.intervalMs / 5 });
 * ```
 */
export const REAPER_DEFAULTS = Object.freeze({
  /** @default 'writ' */
  schema: 'writ',
  /** How often `start()` looks for expired leases, ms. @default 5000 */
  intervalMs: 5_000,
  /** Leases closed per pass. @default 50 */
  batchSize: 50,
  /** How long a reaper's claim on a lease lasts before another reaper may take it over, ms. @default 60000 */
  claimMs: 60_000,
  /** Closed leases are deleted after this long, ms. @default 86400000 (one day) */
  retainMs: 86_400_000,
  /** Reason recorded for the credentials of an abandoned task. @default 'task abandoned (lease expired)' */
  reason: 'task abandoned (lease expired)',
});

/**
 * Options of {@link createReaper}.
 *
 * @example
 * ```ts
 * const options: CreateReaperOptions = {
 *   pool,
 *   audit,        // this replica's audit sink
 *   revocations,  // createPostgresRevocationList(…)
 *   exchange: { revocationEndpoint: 'https://login.example.com/revoke', clientId: 'writ-broker', clientSecret },
 * };
 * const reaper = await createReaper(options);
 * reaper.start();
 * ```
 */
export interface CreateReaperOptions {
  /** A pool you own (`pg.Pool`). Exactly one of `pool` and `connectionString`. */
  pool?: PgClientPool;
  connectionString?: string;
  /** @default 'writ' */
  schema?: string;
  /** Where the `revocation` and `task-end { status: 'abandoned' }` records go. */
  audit: AuditSink;
  /** Where the credentials of abandoned tasks are revoked (a list every replica sees). */
  revocations: { revoke(jti: string, expiresAt: number, reason?: string): void | Promise<void> };
  /**
   * The RFC 7009 endpoint and client (as the broker's `exchange`) for exchanged credentials. A token is
   * sent only to this endpoint, as this client: a lease naming another endpoint is reported, never followed.
   */
  exchange?: {
    revocationEndpoint: string;
    clientId: string;
    clientSecret?: string;
    clientAuth?: ClientAuthMethod;
    fetch?: typeof fetch;
    timeoutMs?: number;
  };
  /** The leases' `tokenKey`: opens the sealed tokens of exchanged credentials for RFC 7009. */
  tokenKey?: string;
  /** @default 5000 */
  intervalMs?: number;
  /** @default 50 */
  batchSize?: number;
  /** @default 60000 */
  claimMs?: number;
  /** @default 86400000 */
  retainMs?: number;
  /** Create the table when missing (skipped when it exists). @default true */
  createTables?: boolean;
  /** This reaper, as lease rows name it. @default a new id */
  instance?: string;
  /** @default Date.now */
  clock?: () => number;
  /** Failures of a pass (the lease stays claimed and is retried once the claim lapses). */
  onError?: (error: WritError) => void;
}

/**
 * One task run a reaper closed.
 *
 * @example
 * ```ts
 * for (const closed of await reaper.reapOnce()) console.log(`${closed.taskId}: ${closed.revoked.length} revoked`);
 * ```
 */
export interface ReapedRun {
  readonly taskId: string;
  readonly runId: string;
  /** `jti`s put on the revocation list. */
  readonly revoked: readonly string[];
  /** Exchanged credentials revoked at the RFC 7009 endpoint. */
  readonly remotelyRevoked: number;
}

/**
 * A reaper (see {@link createReaper}).
 *
 * @example
 * ```ts
 * const reaper: Reaper = await createReaper({ pool, audit, revocations });
 * reaper.start();
 * process.on('SIGTERM', () => void reaper.close());
 * ```
 */
export interface Reaper {
  readonly instance: string;
  /** One pass: claims expired leases (at most `batchSize`), closes them; resolves with what it closed. */
  reapOnce(): Promise<readonly ReapedRun[]>;
  /** Runs a pass every `intervalMs` until `close()`. */
  start(): void;
  close(): Promise<void>;
}

/** What `createReaper` checks its options against. @internal */
export const reaperOptionsSchema = z
  .strictObject({
    ...clientConnectionShape,
    audit: z.custom<AuditSink>(
      (v) => typeof v === 'object' && v !== null && typeof (v as AuditSink).append === 'function',
      { message: 'must be an AuditSink' },
    ),
    revocations: z.custom<CreateReaperOptions['revocations']>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { revoke?: unknown }).revoke === 'function',
      { message: 'must be a RevocationList' },
    ),
    exchange: z
      .strictObject({
        revocationEndpoint: z.string().url(),
        clientId: z.string().min(1),
        clientSecret: z.string().optional(),
        clientAuth: z.string().optional(),
        fetch: fetchSchema.optional(),
        timeoutMs: timeoutSchema.optional(),
      })
      .optional(),
    tokenKey: tokenKeySchema.optional(),
    intervalMs: z.number().int().min(10).max(3_600_000).optional(),
    batchSize: z.number().int().min(1).max(1_000).optional(),
    claimMs: z.number().int().min(1_000).max(86_400_000).optional(),
    retainMs: z.number().int().min(0).optional(),
    createTables: z.boolean().optional(),
    instance: z.string().min(1).max(256).optional(),
    clock: clockSchema.optional(),
    onError: functionSchema<(e: WritError) => void>().optional(),
  })
  .refine(...oneConnection);
