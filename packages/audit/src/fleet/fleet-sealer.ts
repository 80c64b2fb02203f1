import { WritError } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import {
  connectionOptionsSchema,
  logIdSchema,
  POSTGRES_SINK_DEFAULTS,
  type PostgresConnectionOptions,
  resolvePool,
  unavailable,
} from '../postgres/postgres-connection.js';
import { readVerifiedPostgresLog } from '../postgres/postgres-log.js';
import { lockKey, migrate, tablesOf } from '../postgres/postgres-schema.js';
import { createPostgresAuditSink } from '../postgres/postgres-sink.js';
import { type LogSealingOptions, safeReporter, sealingOptionsShape } from '../sink-options.js';
import { type WitnessEndpoint, witnessesSchema } from '../witness/witnessing.js';
import { FleetState } from './fleet-state.js';
import { type FleetMembers, type FleetSealReport, sealRound } from './seal-round.js';

/**
 * Defaults of {@link createFleetSealer}.
 *
 * @example
 * ```ts
 * const sealer = await createFleetSealer({ connectionString, members: 'first-seen', intervalMs: FLEET_SEALER_DEFAULTS.intervalMs / 2 });
 * ```
 */
export const FLEET_SEALER_DEFAULTS = Object.freeze({
  /** The fleet log's id (origin `writ/audit/fleet`). @default 'fleet' */
  logId: 'fleet',
  /** How often the sealer runs a round, ms. @default 60000 */
  intervalMs: 60_000,
});

/**
 * Options of {@link createFleetSealer}: where the fleet's logs are, the fleet log's id and key, which
 * member keys to endorse, how often to seal.
 *
 * @example
 * ```ts
 * const options: CreateFleetSealerOptions = { connectionString, keyDir: '/run/secrets/writ-fleet', members: 'first-seen' };
 * ```
 */
export interface CreateFleetSealerOptions
  extends PostgresConnectionOptions,
    Pick<LogSealingOptions, 'keyDir' | 'signer' | 'createKey' | 'clock' | 'onError'> {
  /**
   * Which member keys are endorsed (see {@link FleetMembers}). Required: trusting a key on first sight
   * (`'first-seen'`) is a choice to make, not a default.
   */
  members: FleetMembers;
  /** The fleet log's id. @default 'fleet' */
  logId?: string;
  /** How often `start()` runs a round, ms. @default 60000 */
  intervalMs?: number;
  /** C2SP witnesses to cosign the fleet log's checkpoints (as the sink's `witnesses`). */
  witnesses?: WitnessEndpoint[];
}

/**
 * The sealer of a fleet: run it in any (or every) replica; one round at a time runs fleet-wide.
 *
 * @example
 * ```ts
 * const sealer: FleetSealer = await createFleetSealer({ connectionString, members: 'first-seen' });
 * sealer.start();
 * process.on('SIGTERM', () => void sealer.close());
 * ```
 */
export interface FleetSealer {
  /** The fleet log's id. */
  readonly logId: string;
  /**
   * Runs one round now, if this replica wins the fleet's advisory lock; `undefined` when another
   * replica's round holds it. A round that cannot run (the fleet log does not verify, the database is
   * unreachable) throws `WRIT_AUDIT_UNAVAILABLE`.
   */
  sealNow(): Promise<FleetSealReport | undefined>;
  /** Runs a round every `intervalMs` (failures and member problems go to `onError`). */
  start(): void;
  /** Stops the interval and waits for a round under way. */
  close(): Promise<void>;
}

const membersSchema = z.union([
  z.literal('first-seen'),
  z.record(z.string(), z.string().min(1)),
  functionSchema<Exclude<FleetMembers, string | Readonly<Record<string, string>>>>(),
]);

const optionsSchema = connectionOptionsSchema({
  members: membersSchema,
  logId: logIdSchema.optional(),
  intervalMs: z.number().int().min(100).max(86_400_000).optional(),
  witnesses: witnessesSchema.optional(),
  keyDir: sealingOptionsShape.keyDir,
  signer: sealingOptionsShape.signer,
  createKey: sealingOptionsShape.createKey,
  clock: sealingOptionsShape.clock,
  onError: sealingOptionsShape.onError,
});

/**
 * The sealer of a fleet's PostgreSQL logs. Each round, under a transaction-level advisory lock (one
 * round fleet-wide, pooler-safe), it opens the fleet log (an ordinary Writ log in the same tables, signed
 * with its own key), verifies it with that key, then for every other log in the schema: endorses the
 * log's key when `members` allows it (a `fleet-endorsement` record), and seals the log's newest
 * published checkpoint (a `fleet-seal` record) once it verifies with the endorsed key and a consistency
 * proof shows the log only grew since its last seal. A member whose key changed, whose checkpoint does
 * not verify, or that shrank or forked is not sealed and is reported (`onError`, and in the round's
 * report). The fleet log is checkpointed after every round that appended.
 *
 * @example
 * ```ts
 * const sealer = await createFleetSealer({
 *   connectionString: process.env.DATABASE_URL,
 *   keyDir: '/run/secrets/writ-fleet',
 *   members: { 'orders-1': ordersKey1, 'orders-2': ordersKey2 },
 *   intervalMs: 30_000,
 * });
 * sealer.start();
 * ```
 */
export async function createFleetSealer(options: CreateFleetSealerOptions): Promise<FleetSealer> {
  const o = validateOptions(optionsSchema, options, 'createFleetSealer') as CreateFleetSealerOptions;
  const schema = o.schema ?? POSTGRES_SINK_DEFAULTS.schema;
  const tables = tablesOf(schema);
  const logId = o.logId ?? FLEET_SEALER_DEFAULTS.logId;
  const report = safeReporter(o.onError);
  const clock = o.clock ?? Date.now;
  const { pool, owned } = await resolvePool(o, report);
  try {
    await migrate(pool, tables);
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }

  const round = async (): Promise<FleetSealReport | undefined> => {
    const client = await pool.connect().catch((error: unknown) => {
      throw unavailable('the fleet sealer could not connect to PostgreSQL', error);
    });
    let broken = false;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ got: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1::bigint) AS got',
        [lockKey(schema, 'fleet-seal', logId)],
      );
      if (rows[0]?.got !== true) return undefined;
      const fleet = await createPostgresAuditSink({
        pool,
        schema,
        logId,
        ...(o.keyDir === undefined ? {} : { keyDir: o.keyDir }),
        ...(o.signer === undefined ? {} : { signer: o.signer }),
        ...(o.createKey === undefined ? {} : { createKey: o.createKey }),
        ...(o.witnesses === undefined ? {} : { witnesses: o.witnesses }),
        clock,
        onError: report,
        checkpointEvery: 1_000_000,
      });
      try {
        const read = await readVerifiedPostgresLog(logId, { pool, schema, verifierKey: fleet.verifierKey });
        if (read.verification?.ok !== true) {
          throw new WritError(
            'WRIT_AUDIT_UNAVAILABLE',
            `the fleet log ${logId} does not verify with its key (record ${read.verification?.firstBadIndex}: ${read.verification?.reason}): nothing is sealed`,
            { details: { reason: 'fleet_log_invalid', logId } },
          );
        }
        const state = new FleetState();
        for (const { index, record } of read.records) if (record !== undefined) state.push(index, record);
        if (state.problem !== undefined) {
          throw new WritError(
            'WRIT_AUDIT_UNAVAILABLE',
            `the fleet log ${logId} is not a valid fleet log (record ${state.problem.index}: ${state.problem.reason})`,
            { details: { reason: 'fleet_log_invalid', logId } },
          );
        }
        const now = () => new Date(clock()).toISOString();
        const result = await sealRound({ pool, tables, fleet, state, members: o.members, now });
        for (const problem of result.problems) report(problem);
        return result;
      } finally {
        await fleet.close?.();
      }
    } catch (error) {
      broken = !WritError.isInstance(error);
      throw unavailable(`the fleet sealer's round on ${logId} failed`, error);
    } finally {
      await client.query('COMMIT').catch(() => {
        broken = true;
      });
      client.release(broken);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let closed = false;
  const sealNow = () => {
    if (closed) return Promise.reject(new WritError('WRIT_AUDIT_UNAVAILABLE', 'the fleet sealer is closed'));
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(round);
    running = next.catch(() => undefined);
    return next;
  };
  return {
    logId,
    sealNow,
    start() {
      if (timer !== undefined || closed) return;
      const interval = setInterval(() => {
        sealNow().catch((error: unknown) => report(unavailable('the fleet sealer failed', error)));
      }, o.intervalMs ?? FLEET_SEALER_DEFAULTS.intervalMs);
      interval.unref?.();
      timer = interval;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await running;
      if (owned) await pool.end().catch(() => undefined);
    },
  };
}
