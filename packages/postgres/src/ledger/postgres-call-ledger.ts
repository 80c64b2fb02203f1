import { randomUUID } from 'node:crypto';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import {
  alreadyExecuted,
  type CallKey,
  type CallLedgerStore,
  canonicalJson,
  type LedgerEntry,
  type SettledCall,
  sha256Hex,
  toWritError,
} from '@writ/core/plugin';
import { z } from 'zod';
import { migrate } from '../shared/migrate.js';
import { createNotifier, type Notifier } from '../shared/notifier.js';
import { ident, lazyPool, oneConnection, type PgConnectionOptions, type PgPool } from '../shared/pg-pool.js';
import { type RowSigner, tampered } from '../shared/row-signer.js';
import { signedStoreShape, tableDdl } from '../shared/signed-store-options.js';

/**
 * Options of {@link createPostgresCallLedger}.
 *
 * @example
 * ```ts
 * const options: PostgresCallLedgerOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   signer: hmacRowSigner(process.env.WRIT_STORE_KEY as string),
 * };
 * ```
 */
export interface PostgresCallLedgerOptions extends PgConnectionOptions {
  /** Signs every row; a row whose signature fails is refused (`WRIT_STORE_TAMPERED`). */
  readonly signer: RowSigner;
  /**
   * Keep a call's returned value in the table, so a second claimant elsewhere gets it back. Off, only its
   * digest is kept and a second claimant gets `WRIT_ALREADY_EXECUTED` (with the digest): results are
   * content, and content stays in the process that ran the call unless you opt in. @default false
   */
  readonly storeResults?: boolean | undefined;
  /**
   * A direct connection string for `LISTEN` (wakes waiting claimants at once). Through a transaction-mode
   * pooler, give the direct URL here, or `false` to poll only. @default connectionString
   */
  readonly listen?: string | false | undefined;
  /** How often a waiting claimant looks again when no notification came. @default 250 */
  readonly pollMs?: number | undefined;
  /**
   * How long a claim may stay unsettled before the others stop waiting for it: its process may have died
   * mid-call. The call is then never run again — waiting claimants get `WRIT_ALREADY_EXECUTED` with
   * `details.outcome: 'unknown'` — since whether it ran cannot be known. @default 600000 (10 minutes)
   */
  readonly claimTimeoutMs?: number | undefined;
  /** Create the schema and table when missing (needs CREATE on the database). @default true */
  readonly migrate?: boolean | undefined;
  /** Epoch-ms clock (expiry of entries). @default Date.now */
  readonly clock?: (() => number) | undefined;
}

/**
 * Defaults of {@link createPostgresCallLedger}.
 *
 * @example
 * ```ts
 * POSTGRES_CALL_LEDGER_DEFAULTS.schema; // 'writ'
 * ```
 */
export const POSTGRES_CALL_LEDGER_DEFAULTS = Object.freeze({
  schema: 'writ',
  storeResults: false,
  pollMs: 250,
  claimTimeoutMs: 600_000,
  migrate: true,
});

const optionsSchema = z
  .strictObject({
    ...signedStoreShape,
    storeResults: z.boolean().optional(),
    listen: z.union([z.string().min(1), z.literal(false)]).optional(),
    pollMs: z.number().int().min(10).max(60_000).optional(),
    claimTimeoutMs: z.number().int().min(1_000).max(86_400_000).optional(),
  })
  .refine(...oneConnection);

/**
 * The DDL of the call ledger (idempotent), for owners who create the tables ahead (`migrate: false`).
 *
 * @example
 * ```ts
 * for (const statement of callLedgerDdl('writ')) await ownerPool.query(statement);
 * ```
 */
export function callLedgerDdl(schema: string): string[] {
  return [
    ...tableDdl(
      schema,
      'call_ledger',
      `call_id text NOT NULL,
      binding text NOT NULL,
      state text NOT NULL CHECK (state IN ('open', 'claimed', 'settled')),
      claim_token text,
      entry text,
      sig text,
      expires_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (call_id, binding)`,
    ),
    `CREATE INDEX IF NOT EXISTS call_ledger_expires_at ON ${ident(schema)}.call_ledger (expires_at)`,
  ];
}

/** How an entry is kept: JSON only, results withheld unless opted in, errors as code/message/details. */
interface StoredEntry {
  readonly binding: string;
  readonly request: unknown;
  readonly decision: unknown;
  readonly failure: StoredError | null;
  readonly settled:
    | null
    | { readonly ok: true; readonly value: unknown }
    | { readonly ok: false; readonly error: StoredError }
    | { readonly withheld: true; readonly ok: boolean };
  readonly executed: boolean | null;
  readonly resultDigest: string | null;
  readonly decisionIndex: number | null;
  readonly bindingHash: string | null;
  readonly expiresAt: number;
}
interface StoredError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

const json = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));
const storedError = (error: unknown): StoredError => {
  const e = toWritError(error, 'WRIT_INTERNAL');
  return { code: e.code, message: e.message, details: json(e.details) as Record<string, unknown> };
};
const fromStoredError = (e: StoredError) =>
  new WritError(e.code as WritError['code'], e.message, { details: e.details });

/**
 * The call ledger in PostgreSQL: one execution per framework tool call across every replica and
 * serverless instance sharing the database. `claim` is one atomic statement (`INSERT … ON CONFLICT DO
 * UPDATE … WHERE state = 'open'`): of any number of claimants in any processes exactly one gets
 * `claimed`; the others wait (`LISTEN`/`NOTIFY`, polling as the fallback) for it to settle or release.
 * Every operation is a single statement (no session state, no advisory locks: transaction-mode PgBouncer
 * compatible). Entries are HMAC-signed ({@link RowSigner}); a row edited in the table is refused with
 * `WRIT_STORE_TAMPERED` (and recorded as the call's refusal). A result is kept only with `storeResults`;
 * otherwise a second claimant gets `WRIT_ALREADY_EXECUTED` with the result digest: never a second run.
 *
 * @example
 * ```ts
 * const calls = createPostgresCallLedger({
 *   connectionString: process.env.DATABASE_URL,
 *   signer: hmacRowSigner(process.env.WRIT_STORE_KEY as string),
 * });
 * const writ = createWrit({ policy, audit, stores: { calls } });
 * ```
 */
export function createPostgresCallLedger(
  options: PostgresCallLedgerOptions,
): CallLedgerStore & { close(): Promise<void> } {
  const o = validateOptions(optionsSchema, options, 'createPostgresCallLedger');
  const schema = o.schema ?? POSTGRES_CALL_LEDGER_DEFAULTS.schema;
  const table = `${ident(schema)}.call_ledger`;
  const channel = `${schema}_calls`;
  const signer = o.signer;
  const storeResults = o.storeResults ?? POSTGRES_CALL_LEDGER_DEFAULTS.storeResults;
  const pollMs = o.pollMs ?? POSTGRES_CALL_LEDGER_DEFAULTS.pollMs;
  const claimTimeoutMs = o.claimTimeoutMs ?? POSTGRES_CALL_LEDGER_DEFAULTS.claimTimeoutMs;
  const clock = o.clock ?? Date.now;
  const pools = lazyPool(o);
  const notifier: Notifier = createNotifier(
    o.listen === false ? undefined : (o.listen ?? o.connectionString),
  );
  let ready: Promise<PgPool> | undefined;
  const pool = () => {
    ready ??= pools.get().then(async (p) => {
      if (o.migrate ?? POSTGRES_CALL_LEDGER_DEFAULTS.migrate) await migrate(p, callLedgerDdl(schema));
      return p;
    });
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  /** Claim tokens of the calls this process claimed (a settle or release must hold the claim). */
  const tokens = new Map<string, string>();
  const slot = (key: CallKey) => sha256Hex(`${key.callId}\u0000${key.binding}`);
  const payload = (key: CallKey, entry: string) =>
    canonicalJson({ binding: key.binding, callId: key.callId, entry, table: 'call_ledger' });

  const encode = (key: CallKey, entry: LedgerEntry): { text: string; sig: string } => {
    const settled = entry.settled;
    const stored: StoredEntry = {
      binding: entry.binding,
      request: json(entry.request),
      decision: json(entry.decision),
      failure: entry.failure === undefined ? null : storedError(entry.failure),
      settled:
        settled === undefined
          ? null
          : entry.executed === true
            ? settled.ok && storeResults
              ? { ok: true, value: json(settled.value) }
              : { withheld: true, ok: settled.ok }
            : settled.ok
              ? { ok: true, value: json(settled.value) }
              : { ok: false, error: storedError(settled.error) },
      executed: entry.executed ?? null,
      resultDigest: entry.resultDigest ?? null,
      decisionIndex: entry.decisionIndex ?? null,
      bindingHash: entry.bindingHash ?? null,
      expiresAt: entry.expiresAt,
    };
    const text = canonicalJson(stored);
    return { text, sig: signer.sign(payload(key, text)) };
  };
  const decode = (key: CallKey, text: string, sig: string | null): LedgerEntry => {
    if (sig === null || !signer.verify(payload(key, text), sig)) {
      throw tampered('call ledger', `the entry of tool call ${key.callId}`);
    }
    const s = JSON.parse(text) as StoredEntry;
    let settled: SettledCall | undefined;
    if (s.settled !== null) {
      settled =
        'withheld' in s.settled
          ? alreadyExecuted(key.callId, s.resultDigest ?? undefined)
          : s.settled.ok
            ? { ok: true, value: s.settled.value }
            : { ok: false, error: fromStoredError(s.settled.error) };
    }
    return {
      binding: s.binding,
      request: (s.request ?? undefined) as LedgerEntry['request'],
      decision: (s.decision ?? undefined) as LedgerEntry['decision'],
      failure: s.failure === null ? undefined : fromStoredError(s.failure),
      ...(settled === undefined ? {} : { settled }),
      ...(s.executed === null ? {} : { executed: s.executed }),
      ...(s.resultDigest === null ? {} : { resultDigest: s.resultDigest }),
      ...(s.decisionIndex === null ? {} : { decisionIndex: s.decisionIndex }),
      ...(s.bindingHash === null ? {} : { bindingHash: s.bindingHash }),
      expiresAt: s.expiresAt,
    };
  };
  type Row = {
    state: string;
    entry: string | null;
    sig: string | null;
    expires_at: string;
    updated_at: string;
  };
  const read = async (key: CallKey): Promise<Row | undefined> => {
    const { rows } = await (await pool()).query<Row>(
      `SELECT state, entry, sig, expires_at, updated_at FROM ${table} WHERE call_id = $1 AND binding = $2`,
      [key.callId, key.binding],
    );
    return rows[0];
  };
  const end = async (key: CallKey, state: 'open' | 'settled', entry?: LedgerEntry) => {
    const token = tokens.get(slot(key));
    tokens.delete(slot(key));
    if (token === undefined)
      throw new WritError('WRIT_INTERNAL', `call ledger: ${key.callId} is not claimed here`);
    const encoded = entry === undefined ? undefined : encode(key, entry);
    const { rows } = await (await pool()).query(
      `WITH u AS (
         UPDATE ${table} SET state = $3, claim_token = NULL, updated_at = $5,
           entry = COALESCE($6, entry), sig = COALESCE($7, sig), expires_at = COALESCE($8, expires_at)
         WHERE call_id = $1 AND binding = $2 AND claim_token = $4 RETURNING call_id)
       SELECT pg_notify($9, $10) FROM u`,
      [
        key.callId,
        key.binding,
        state,
        token,
        clock(),
        encoded?.text ?? null,
        encoded?.sig ?? null,
        entry?.expiresAt ?? null,
        channel,
        slot(key),
      ],
    );
    if (rows.length === 0) {
      throw new WritError(
        'WRIT_INTERNAL',
        `call ledger: the claim on ${key.callId} was lost before it ended`,
      );
    }
  };

  return {
    name: 'postgres',
    async get(key) {
      const row = await read(key);
      if (row === undefined || row.entry === null || Number(row.expires_at) <= clock()) return undefined;
      return decode(key, row.entry, row.sig);
    },
    async remember(key, entry) {
      const { text, sig } = encode(key, entry);
      await (await pool()).query(
        `INSERT INTO ${table} AS l (call_id, binding, state, entry, sig, expires_at, updated_at)
         VALUES ($1, $2, 'open', $3, $4, $5, $6)
         ON CONFLICT (call_id, binding) DO UPDATE SET entry = $3, sig = $4, expires_at = $5, updated_at = $6
         WHERE l.state <> 'settled'`,
        [key.callId, key.binding, text, sig, entry.expiresAt, clock()],
      );
    },
    async claim(key, { signal }) {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const token = randomUUID();
        const now = clock();
        // one statement: a fresh row is claimed; an open row (or an expired one) is taken over by exactly
        // one claimant; a claimed or settled row is left alone
        const { rows } = await (await pool()).query<{ entry: string | null; sig: string | null }>(
          `INSERT INTO ${table} AS l (call_id, binding, state, claim_token, expires_at, updated_at)
           VALUES ($1, $2, 'claimed', $3, $4, $4)
           ON CONFLICT (call_id, binding) DO UPDATE SET
             state = 'claimed', claim_token = $3, updated_at = $4,
             entry = CASE WHEN l.expires_at <= $4 THEN NULL ELSE l.entry END,
             sig = CASE WHEN l.expires_at <= $4 THEN NULL ELSE l.sig END
           WHERE l.state = 'open' OR (l.state = 'settled' AND l.expires_at <= $4)
           RETURNING entry, sig`,
          [key.callId, key.binding, token, now],
        );
        const claimed = rows[0];
        if (claimed !== undefined) {
          tokens.set(slot(key), token);
          if (claimed.entry === null) return { status: 'claimed', entry: undefined };
          const entry = decode(key, claimed.entry, claimed.sig);
          if (entry.settled !== undefined) {
            // the state column said open, the signed entry says settled: the entry rules
            await end(key, 'settled');
            return { status: 'settled', entry: entry as LedgerEntry & { settled: SettledCall } };
          }
          return { status: 'claimed', entry };
        }
        const row = await read(key);
        if (row?.entry != null && row.state === 'settled') {
          const entry = decode(key, row.entry, row.sig);
          if (entry.settled !== undefined) {
            return { status: 'settled', entry: entry as LedgerEntry & { settled: SettledCall } };
          }
        }
        if (row?.state === 'claimed' && Number(row.updated_at) + claimTimeoutMs <= clock()) {
          // its claimant stopped answering (a process killed mid-call): it may have run; never run it again
          throw new WritError(
            'WRIT_ALREADY_EXECUTED',
            `tool call ${key.callId} was claimed by a process that never settled it within ${claimTimeoutMs} ms; whether it ran is unknown, so it is not run again`,
            { details: { callId: key.callId, resultDigest: null, outcome: 'unknown', reason: 'claim_lost' } },
          );
        }
        // claimed by someone else: wait for its settle or release (a notification, or the next poll)
        await notifier.wait(channel, slot(key), { signal, pollMs });
      }
    },
    async settle(key, entry) {
      await end(key, 'settled', entry);
    },
    async release(key) {
      await end(key, 'open');
    },
    async close() {
      await notifier.close();
      await pools.close();
    },
  };
}
