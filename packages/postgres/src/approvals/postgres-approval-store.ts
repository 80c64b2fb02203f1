import { validateOptions } from '@writ/core/internal';
import {
  type AnswerResult,
  type ApprovalAnswer,
  type ApprovalStore,
  canonicalJson,
  type PendingApproval,
} from '@writ/core/plugin';
import { z } from 'zod';
import { migrate } from '../shared/migrate.js';
import { ident, lazyPool, oneConnection, type PgConnectionOptions, type PgPool } from '../shared/pg-pool.js';
import { type RowSigner, tampered } from '../shared/row-signer.js';
import { signedStoreShape, tableDdl } from '../shared/signed-store-options.js';

/**
 * Options of {@link createPostgresApprovalStore}.
 *
 * @example
 * ```ts
 * const options: PostgresApprovalStoreOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   signer: hmacRowSigner(process.env.WRIT_STORE_KEY as string),
 * };
 * ```
 */
export interface PostgresApprovalStoreOptions extends PgConnectionOptions {
  /** Signs every approval and every answer; a row that fails is refused (`WRIT_STORE_TAMPERED`). */
  readonly signer: RowSigner;
  /** Create the schema and table when missing (needs CREATE on the database). @default true */
  readonly migrate?: boolean | undefined;
  /** Epoch-ms clock (expiry). @default Date.now */
  readonly clock?: (() => number) | undefined;
}

const optionsSchema = z
  .strictObject({
    ...signedStoreShape,
  })
  .refine(...oneConnection);

/**
 * The DDL of the approvals table (idempotent), for owners who create the tables ahead (`migrate: false`).
 *
 * @example
 * ```ts
 * for (const statement of approvalsDdl('writ')) await ownerPool.query(statement);
 * ```
 */
export function approvalsDdl(schema: string): string[] {
  return [
    ...tableDdl(
      schema,
      'approvals',
      `binding_hash text PRIMARY KEY,
      task_id text NOT NULL,
      requester_id text,
      pending text NOT NULL,
      pending_sig text NOT NULL,
      answer text,
      answer_sig text,
      taken boolean NOT NULL DEFAULT false,
      expires_at bigint NOT NULL,
      requested_at bigint NOT NULL`,
    ),
    `CREATE INDEX IF NOT EXISTS approvals_waiting ON ${ident(schema)}.approvals (requested_at) WHERE NOT taken AND answer IS NULL`,
  ];
}

type Row = {
  binding_hash: string;
  pending: string;
  pending_sig: string;
  answer: string | null;
  answer_sig: string | null;
};

/**
 * Durable approvals in PostgreSQL: asked in one process, listed and answered from any other (a console, a
 * webhook, `writ approvals approve`), taken by the call when it runs — wherever it runs. `answer` and
 * `take` are single conditional statements (`UPDATE … WHERE answer IS NULL` / `WHERE NOT taken`): the
 * first answer wins, exactly one taker gets it. Each answer sends `NOTIFY <schema>_approvals` with the
 * binding hash (for consoles and waiting processes). The pending approval and its answer are signed apart
 * (an answer cannot be moved to another call); a row that fails is refused with `WRIT_STORE_TAMPERED`.
 *
 * @example
 * ```ts
 * const approvals = createPostgresApprovalStore({
 *   connectionString: process.env.DATABASE_URL,
 *   signer: hmacRowSigner(process.env.WRIT_STORE_KEY as string),
 * });
 * const writ = createWrit({ policy, audit, approvalMode: 'suspend', stores: { calls, approvals } });
 * ```
 */
export function createPostgresApprovalStore(
  options: PostgresApprovalStoreOptions,
): ApprovalStore & { close(): Promise<void> } {
  const o = validateOptions(optionsSchema, options, 'createPostgresApprovalStore');
  const schema = o.schema ?? 'writ';
  const table = `${ident(schema)}.approvals`;
  const channel = `${schema}_approvals`;
  const signer = o.signer;
  const clock = o.clock ?? Date.now;
  const pools = lazyPool(o);
  let ready: Promise<PgPool> | undefined;
  const pool = () => {
    ready ??= pools.get().then(async (p) => {
      if (o.migrate ?? true) await migrate(p, approvalsDdl(schema));
      return p;
    });
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  const pendingPayload = (text: string) => canonicalJson({ pending: text, table: 'approvals' });
  const answerPayload = (bindingHash: string, text: string) =>
    canonicalJson({ answer: text, bindingHash, table: 'approvals' });

  const decode = (row: Row): PendingApproval => {
    if (!signer.verify(pendingPayload(row.pending), row.pending_sig)) {
      throw tampered('approvals', `the approval ${row.binding_hash}`);
    }
    const pending = JSON.parse(row.pending) as PendingApproval;
    if (pending.bindingHash !== row.binding_hash)
      throw tampered('approvals', `the approval ${row.binding_hash}`);
    if (row.answer === null) return pending;
    if (
      row.answer_sig === null ||
      !signer.verify(answerPayload(row.binding_hash, row.answer), row.answer_sig)
    ) {
      throw tampered('approvals', `the answer to ${row.binding_hash}`);
    }
    return { ...pending, answer: JSON.parse(row.answer) as ApprovalAnswer };
  };
  const COLUMNS = 'binding_hash, pending, pending_sig, answer, answer_sig';
  const get = async (bindingHash: string) => {
    const { rows } = await (await pool()).query<Row>(
      `SELECT ${COLUMNS} FROM ${table} WHERE binding_hash = $1 AND NOT taken AND expires_at > $2`,
      [bindingHash, clock()],
    );
    return rows[0] === undefined ? undefined : decode(rows[0]);
  };

  return {
    name: 'postgres',
    async open(approval) {
      const { answer: _kept, ...fields } = approval;
      const text = canonicalJson(JSON.parse(JSON.stringify(fields)));
      await (await pool()).query(
        `INSERT INTO ${table} AS a (binding_hash, task_id, requester_id, pending, pending_sig, expires_at, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (binding_hash) DO UPDATE SET pending = $4, pending_sig = $5, expires_at = $6
         WHERE NOT a.taken`,
        [
          approval.bindingHash,
          approval.taskId,
          approval.requester?.id ?? null,
          text,
          signer.sign(pendingPayload(text)),
          approval.expiresAt,
          approval.requestedAt ?? clock(),
        ],
      );
    },
    get,
    async take(bindingHash) {
      const { rows } = await (await pool()).query<Row>(
        `UPDATE ${table} SET taken = true WHERE binding_hash = $1 AND NOT taken RETURNING ${COLUMNS}`,
        [bindingHash],
      );
      return rows[0] === undefined ? undefined : decode(rows[0]);
    },
    async answer(bindingHash, answer): Promise<AnswerResult> {
      const text = canonicalJson(JSON.parse(JSON.stringify(answer)));
      const p = await pool();
      const { rows } = await p.query<Row>(
        `WITH u AS (
           UPDATE ${table} SET answer = $2, answer_sig = $3
           WHERE binding_hash = $1 AND NOT taken AND answer IS NULL AND expires_at > $4
           RETURNING ${COLUMNS}),
         n AS (SELECT pg_notify($5, binding_hash) FROM u)
         SELECT u.*, (SELECT count(*) FROM n) AS notified FROM u`,
        [bindingHash, text, signer.sign(answerPayload(bindingHash, text)), clock(), channel],
      );
      if (rows[0] !== undefined) return { status: 'answered', approval: decode(rows[0]) };
      const standing = await get(bindingHash);
      if (standing?.answer !== undefined) return { status: 'already_answered', approval: standing };
      return { status: 'not_pending' };
    },
    async list(query = {}) {
      const { rows } = await (await pool()).query<Row>(
        `SELECT ${COLUMNS} FROM ${table}
         WHERE NOT taken AND ($4 OR (answer IS NULL AND expires_at > $1))
           AND ($2::text IS NULL OR task_id = $2) AND ($3::text IS NULL OR requester_id = $3)
         ORDER BY requested_at, binding_hash LIMIT 1000`,
        [clock(), query.taskId ?? null, query.requester ?? null, query.all === true],
      );
      return rows.map(decode);
    },
    async close() {
      await pools.close();
    },
  };
}
