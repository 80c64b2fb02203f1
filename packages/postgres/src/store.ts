import { WritError } from '@writ/core';
import type { ApprovalStore, CallLedgerStore } from '@writ/core/plugin';
import { createPostgresApprovalStore } from './approvals/postgres-approval-store.js';
import {
  type FleetContext,
  type FleetServices,
  type FleetServicesOptions,
  openFleetServices,
} from './fleet-services.js';
import { createPostgresCallLedger } from './ledger/postgres-call-ledger.js';
import { lazyPool, type PgConnectionOptions, type PgPool } from './shared/pg-pool.js';
import { type PrunedRows, pruneStores } from './shared/prune.js';
import { hmacRowSigner, type RowSigner } from './shared/row-signer.js';

/**
 * Options of {@link createPostgresStores}.
 *
 * @example
 * ```ts
 * const options: PostgresStoresOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   signer: hmacRowSigner(process.env.WRIT_STORE_KEY as string),
 * };
 * ```
 */
export interface PostgresStoresOptions extends PgConnectionOptions {
  readonly signer: RowSigner;
  /** See `PostgresCallLedgerOptions.storeResults`. @default false */
  readonly storeResults?: boolean | undefined;
  /** A direct connection string for `LISTEN`, or `false` to poll only. @default connectionString */
  readonly listen?: string | false | undefined;
  /** Create schema and tables when missing. @default true */
  readonly migrate?: boolean | undefined;
  /** Epoch-ms clock. @default Date.now */
  readonly clock?: (() => number) | undefined;
  /**
   * The running services a runtime opens with `open()` when it starts (`createWrit({ store })` does):
   * revocations every replica sees, task leases, a reaper. `false` opens none.
   * @default all on
   */
  readonly fleet?: FleetServicesOptions | false | undefined;
  /**
   * Seals the tokens task leases keep for RFC 7009 revocation (at least 32 bytes, shared by the fleet).
   * @default `postgres(url)`: `WRIT_STORE_KEY`; otherwise none (such tokens are not kept)
   */
  readonly tokenKey?: string | undefined;
}

/**
 * Writ's shared state in one PostgreSQL database: what `createWrit({ stores })` takes (`calls`,
 * `approvals`), the switch `writ`'s `createWrit({ store })` takes, and `close()` for the pool opened for a
 * connection string.
 *
 * @example
 * ```ts
 * const store: PostgresStores = createPostgresStores({ connectionString: url, signer });
 * process.on('SIGTERM', () => void store.close());
 * ```
 */
export interface PostgresStores {
  /** Marks the object for `createWrit({ store })`. */
  readonly kind: 'writ-store';
  readonly stores: { readonly calls: CallLedgerStore; readonly approvals: ApprovalStore };
  readonly calls: CallLedgerStore;
  readonly approvals: ApprovalStore;
  /**
   * Opens the running services of fleet mode for one runtime (see {@link FleetServicesOptions}); `writ`'s
   * `createWrit({ store })` calls it when it starts and hands them to its credential broker. Closed by
   * `close()` (or the services' own `close()`).
   */
  open(context: FleetContext): Promise<FleetServices>;
  /**
   * Deletes call-ledger rows and approvals that expired more than `retainMs` ago (default one day): run it
   * from a scheduled job, or let the fleet services do it (`fleet.prune`). Needs `DELETE` on both tables.
   */
  prune(options?: { readonly retainMs?: number }): Promise<PrunedRows>;
  /** Closes the services `open()` opened, the stores, and the pool opened for a connection string. */
  close(): Promise<void>;
}

/**
 * The call ledger and durable approvals on one pool (see `createPostgresCallLedger`,
 * `createPostgresApprovalStore`).
 *
 * @example
 * ```ts
 * const { calls, approvals } = createPostgresStores({ connectionString: process.env.DATABASE_URL, signer });
 * const writ = createWrit({ policy, audit, approvalMode: 'suspend', stores: { calls, approvals } });
 * ```
 */
export function createPostgresStores(options: PostgresStoresOptions): PostgresStores {
  const {
    connectionString,
    pool: given,
    listen,
    storeResults,
    migrate,
    clock,
    schema,
    signer,
    fleet,
    tokenKey,
  } = options;
  const pools = lazyPool({ connectionString, pool: given });
  // both stores share one pool, opened on first use
  const pool: PgPool = {
    query: async (text, values) => (await pools.get()).query(text, values),
    end: async () => {},
  };
  const common = {
    pool,
    signer,
    ...(schema === undefined ? {} : { schema }),
    ...(migrate === undefined ? {} : { migrate }),
    ...(clock === undefined ? {} : { clock }),
  };
  const calls = createPostgresCallLedger({
    ...common,
    ...(storeResults === undefined ? {} : { storeResults }),
    listen: listen ?? connectionString ?? false,
  });
  const approvals = createPostgresApprovalStore(common);
  const services: FleetServices[] = [];
  const prune = async ({ retainMs = 86_400_000 }: { readonly retainMs?: number } = {}) => {
    if (!Number.isSafeInteger(retainMs) || retainMs < 0) {
      throw new WritError('WRIT_OPTIONS_INVALID', 'prune: retainMs must be a non-negative integer (ms)');
    }
    return pruneStores(pool, schema ?? 'writ', (clock ?? Date.now)() - retainMs);
  };
  const none: FleetServices = {
    revocations: undefined,
    leases: undefined,
    reaper: undefined,
    sealer: undefined,
    close: async () => {},
  };
  return {
    kind: 'writ-store',
    stores: { calls, approvals },
    calls,
    approvals,
    prune,
    async open(context) {
      if (fleet === false) return none;
      const opened = await openFleetServices(
        { pool: given, connectionString, schema, listen, migrate, clock, tokenKey },
        fleet ?? {},
        context,
        prune,
      );
      services.push(opened);
      return opened;
    },
    async close() {
      for (const opened of services.splice(0)) await opened.close();
      await calls.close();
      await approvals.close();
      await pools.close();
    },
  };
}

/**
 * The one switch for fleet mode: every piece of Writ's shared state in the PostgreSQL database at `url`,
 * signed with the key in `WRIT_STORE_KEY` (at least 32 bytes, the same on every replica) unless a
 * `signer` is given. Pass it to `writ`'s `createWrit({ store: postgres(url) })`.
 *
 * @example
 * ```ts
 * import { createWrit } from 'writ';
 * import { postgres } from '@writ/postgres';
 *
 * const writ = createWrit({ store: postgres(process.env.DATABASE_URL as string) });
 * ```
 */
export function postgres(
  url: string,
  options: Omit<PostgresStoresOptions, 'connectionString' | 'pool' | 'signer'> & {
    readonly signer?: RowSigner;
  } = {},
): PostgresStores {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'postgres(url): url must be a postgres:// connection string');
  }
  let signer = options.signer;
  if (signer === undefined) {
    const key = process.env.WRIT_STORE_KEY;
    if (key === undefined || key.length === 0) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        'postgres(url): set WRIT_STORE_KEY (a secret of at least 32 bytes shared by every replica) or pass { signer }',
      );
    }
    signer = hmacRowSigner(key);
    return createPostgresStores({ tokenKey: key, ...options, connectionString: url, signer });
  }
  return createPostgresStores({ ...options, connectionString: url, signer });
}
