import type { WritError } from '@writ/core';
import { clockSchema, functionSchema } from '@writ/core/internal';
import { z } from 'zod';
import type { CheckpointSigner } from './checkpoint/signer-key.js';

/**
 * The options every Writ log sink (file, PostgreSQL) takes about sealing its log: the signing key, how
 * often to checkpoint, the clock and the error hook. One schema, so both sinks validate them alike.
 */

/**
 * The options every Writ log sink takes about sealing its log with signed checkpoints: the key, how
 * often, the clock for checkpoint times, and where failures that reach no caller go.
 *
 * @example
 * ```ts
 * const sealing: LogSealingOptions = {
 *   keyDir: '/run/secrets/writ',
 *   checkpointEvery: 500,
 *   checkpointIntervalMs: 5_000,
 *   onError: (error) => console.error(`audit: ${error.code} ${error.message}`),
 * };
 * const audit = await createFileAuditSink({ dir: '/var/lib/support/audit', ...sealing });
 * ```
 */
export interface LogSealingOptions {
  /**
   * Where the log's checkpoint-signing key is kept: one `.note-key` file per log, named after its origin,
   * never inside the log. @default '.writ/keys'
   */
  keyDir?: string;
  /**
   * Checkpoint signer: a key in memory (`createNoteSigner`, e.g. from a secret in an environment
   * variable) or a remote one (`createRemoteNoteSigner`: KMS, HSM). To continue a log after a restart,
   * the same key is needed: keep it in `keyDir` or pass the same signer.
   * @default the log's key in `keyDir`, created with the log
   */
  signer?: CheckpointSigner;
  /**
   * Whether a missing key file in `keyDir` may be created. `false` (a fleet, where a key must be
   * provisioned, never made up by one replica) refuses to start without it: `WRIT_AUDIT_UNAVAILABLE`,
   * reason `key_missing`. @default true
   */
  createKey?: boolean;
  /** A checkpoint after this many records. @default 1000 */
  checkpointEvery?: number;
  /** A checkpoint at least this often while records arrive, ms. @default 10000 */
  checkpointIntervalMs?: number;
  /** Epoch-ms clock for checkpoint times. @default Date.now */
  clock?: () => number;
  /** Failures that reach no caller (timed checkpoints, batched syncs, async appends, idle connections). */
  onError?: (error: WritError) => void;
}

/**
 * A `signer` option: any object with a `sign` function (`createNoteSigner()`, `createRemoteNoteSigner()`).
 * @internal
 */
export const signerSchema = z.custom<CheckpointSigner>(
  (v) => typeof v === 'object' && v !== null && typeof (v as CheckpointSigner).sign === 'function',
  { message: 'must be a NoteSigner (createNoteSigner()) or a CheckpointSigner (createRemoteNoteSigner())' },
);

/**
 * The zod shape of {@link LogSealingOptions}, which both sinks validate.
 *
 * @example
 * ```ts
 * const optionsSchema = z.strictObject({ ...sealingOptionsShape, dir: z.string().min(1).optional() });
 * ```
 * @internal
 */
export const sealingOptionsShape = {
  keyDir: z.string().min(1).optional(),
  signer: signerSchema.optional(),
  createKey: z.boolean().optional(),
  checkpointEvery: z.number().int().positive().optional(),
  checkpointIntervalMs: z.number().int().positive().optional(),
  clock: clockSchema.optional(),
  onError: functionSchema<(error: WritError) => void>().optional(),
};

/**
 * `onError` made safe to call from background work: a hook that throws is ignored, so reporting never
 * breaks the log.
 *
 * @example
 * ```ts
 * const report = safeReporter(options.onError);
 * storage.sync().catch((error: unknown) => report(toAuditUnavailable(error)));
 * ```
 * @internal
 */
export function safeReporter(onError: ((error: WritError) => void) | undefined): (error: WritError) => void {
  return (error) => {
    try {
      onError?.(error);
    } catch {
      // reporting must not break the log
    }
  };
}
