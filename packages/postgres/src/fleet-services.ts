import type { CreateFleetSealerOptions, FleetSealer } from '@writ/audit';
import { WritError } from '@writ/core';
import type { AuditSink } from '@writ/core/plugin';
import type { CreatePostgresTaskLeasesOptions, PostgresTaskLeases } from './leases/postgres-task-leases.js';
import { createPostgresTaskLeases } from './leases/postgres-task-leases.js';
import { createReaper } from './leases/reaper.js';
import type { CreateReaperOptions, Reaper } from './leases/reaper-options.js';
import { createPostgresRevocationList } from './revocations/postgres-revocation-list.js';
import type {
  CreatePostgresRevocationListOptions,
  PostgresRevocationList,
} from './revocations/revocation-list-options.js';
import type { PgClientPool, PgPool } from './shared/pg-pool.js';
import { reporter, unavailable } from './shared/report.js';

/**
 * Which of fleet mode's running services `postgres(url)` opens when a runtime starts, each with its own
 * settings (`false` turns one off). All three are on by default.
 *
 * @example
 * ```ts
 * const fleet: FleetServicesOptions = {
 *   leases: { ttlMs: 15_000 },
 *   reaper: { exchange: { revocationEndpoint: 'https://login.example.com/revoke', clientId: 'writ-broker', clientSecret } },
 * };
 * const writ = createWrit({ store: postgres(process.env.DATABASE_URL as string, { fleet }) });
 * ```
 */
export interface FleetServicesOptions {
  /** The revocation list every replica sees (the embedded broker revokes on it). @default on */
  readonly revocations?:
    | false
    | Pick<CreatePostgresRevocationListOptions, 'maxStalenessMs' | 'pollMs' | 'marginMs' | 'onError'>
    | undefined;
  /** Task leases: the credentials of each task run listed while it runs. @default on */
  readonly leases?:
    | false
    | Pick<CreatePostgresTaskLeasesOptions, 'ttlMs' | 'renewEveryMs' | 'holder' | 'onError' | 'tokenKey'>
    | undefined;
  /**
   * Removes call-ledger rows and approvals `retainMs` past their expiry, every `everyMs` (failures go to
   * `onError`; the tables then just grow). Needs `DELETE` on `call_ledger` and `approvals`.
   * @default { retainMs: 86400000, everyMs: 600000 }
   */
  readonly prune?:
    | false
    | {
        readonly retainMs?: number | undefined;
        readonly everyMs?: number | undefined;
        readonly onError?: ((error: WritError) => void) | undefined;
      }
    | undefined;
  /** A reaper in this replica, closing the tasks of replicas that died (needs `revocations`). @default on */
  readonly reaper?:
    | false
    | Pick<
        CreateReaperOptions,
        'exchange' | 'intervalMs' | 'batchSize' | 'claimMs' | 'retainMs' | 'onError' | 'tokenKey'
      >
    | undefined;
  /**
   * The fleet's sealer (`createFleetSealer` of `@writ/audit`, which must be installed): every replica
   * given it competes for one advisory lock each `intervalMs`, and the winner's round endorses member
   * keys as `members` says and seals each member log's newest checkpoint into the fleet log (its own key:
   * `keyDir` or `signer`). `schema` is the audit tables' schema (default `writ_audit`), not the stores'.
   * @default off
   */
  readonly seal?:
    | false
    | Pick<
        CreateFleetSealerOptions,
        | 'members'
        | 'logId'
        | 'intervalMs'
        | 'keyDir'
        | 'signer'
        | 'createKey'
        | 'witnesses'
        | 'schema'
        | 'onError'
      >
    | undefined;
}

/**
 * What a runtime tells its store when it starts: the service it runs and the audit sink the reaper
 * records abandoned tasks in.
 *
 * @example
 * ```ts
 * const services = await store.open({ service: 'support', audit });
 * ```
 */
export interface FleetContext {
  readonly service: string;
  readonly audit: AuditSink;
}

/**
 * The running services of fleet mode for one runtime (see {@link FleetServicesOptions}).
 *
 * @example
 * ```ts
 * const services: FleetServices = await store.open({ service: 'support', audit });
 * const credentials = createCredentialBroker({ authority, revocations: services.revocations, leases: services.leases });
 * ```
 */
export interface FleetServices {
  readonly revocations: PostgresRevocationList | undefined;
  readonly leases: PostgresTaskLeases | undefined;
  readonly reaper: Reaper | undefined;
  /** The fleet's sealer in this replica, when `seal` is given (started). */
  readonly sealer: FleetSealer | undefined;
  /** Stops the sealer, the reaper and lease renewals, closes the revocation list (in that order). */
  close(): Promise<void>;
}

/** How the services reach the database: the stores' own connection settings. @internal */
export interface FleetConnection {
  readonly pool?: PgPool | undefined;
  readonly connectionString?: string | undefined;
  readonly schema?: string | undefined;
  readonly listen?: string | false | undefined;
  readonly migrate?: boolean | undefined;
  readonly clock?: (() => number) | undefined;
  /** Seals the tokens lease rows keep (see `CreatePostgresTaskLeasesOptions.tokenKey`). */
  readonly tokenKey?: string | undefined;
}

const isClientPool = (pool: PgPool | undefined): pool is PgClientPool =>
  typeof (pool as Partial<PgClientPool> | undefined)?.connect === 'function';

/**
 * Opens the services `options` asks for, on the stores' connection. A reaper without the shared revocation
 * list, or a pool that cannot lend a client, is a configuration error (`WRIT_OPTIONS_INVALID`). If one
 * fails to open, those already open are closed again.
 *
 * @internal
 */
export async function openFleetServices(
  connection: FleetConnection,
  options: FleetServicesOptions,
  context: FleetContext,
  prune: (options: { readonly retainMs?: number }) => Promise<unknown>,
): Promise<FleetServices> {
  const { revocations: r, leases: l, reaper: p, prune: pr, seal } = options;
  if (p !== false && r === false) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'postgres(url): the reaper revokes on the shared revocation list: keep `fleet.revocations` on, or turn `fleet.reaper` off',
    );
  }
  const reach = reachOf(connection);
  const common = {
    ...reach,
    ...(connection.schema === undefined ? {} : { schema: connection.schema }),
    ...(connection.migrate === undefined ? {} : { createTables: connection.migrate }),
  };
  const sealing = connection.tokenKey === undefined ? {} : { tokenKey: connection.tokenKey };
  const opened: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    // the reaper first (it revokes and records), then leases (renewals), then the revocation list
    for (const service of opened.reverse()) await service.close().catch(() => undefined);
    opened.length = 0;
  };
  try {
    const revocations =
      r === false
        ? undefined
        : await createPostgresRevocationList({
            ...common,
            ...(typeof connection.listen === 'string' ? { listenConnectionString: connection.listen } : {}),
            ...(connection.clock === undefined ? {} : { clock: connection.clock }),
            ...r,
          });
    if (revocations !== undefined) opened.push(revocations);
    const leases =
      l === false ? undefined : await createPostgresTaskLeases({ ...common, service: context.service, ...l });
    if (leases !== undefined) opened.push(leases);
    const reaper =
      p === false || revocations === undefined
        ? undefined
        : await createReaper({
            ...common,
            ...sealing,
            audit: context.audit,
            revocations,
            ...(connection.clock === undefined ? {} : { clock: connection.clock }),
            ...p,
          });
    if (reaper !== undefined) {
      reaper.start();
      opened.push(reaper);
    }
    if (pr !== false) opened.push(prunePeriodically(prune, pr ?? {}));
    const sealer = seal === undefined || seal === false ? undefined : await openSealer(reach, seal);
    if (sealer !== undefined) opened.push(sealer);
    return { revocations, leases, reaper, sealer, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function openSealer(
  reach: { pool: PgClientPool } | { connectionString: string },
  seal: Exclude<FleetServicesOptions['seal'], false | undefined>,
): Promise<FleetSealer> {
  let audit: typeof import('@writ/audit');
  try {
    audit = await import('@writ/audit');
  } catch (cause) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'postgres(url): `fleet.seal` needs @writ/audit: npm install @writ/audit',
      {
        cause,
      },
    );
  }
  const sealer = await audit.createFleetSealer({
    ...(seal as CreateFleetSealerOptions),
    ...('pool' in reach
      ? { pool: reach.pool as unknown as NonNullable<CreateFleetSealerOptions['pool']> }
      : { connectionString: reach.connectionString }),
  });
  sealer.start();
  return sealer;
}

function prunePeriodically(
  prune: (options: { readonly retainMs?: number }) => Promise<unknown>,
  o: Exclude<FleetServicesOptions['prune'], false | undefined>,
): { close(): Promise<void> } {
  const report = reporter(o.onError);
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = prune(o.retainMs === undefined ? {} : { retainMs: o.retainMs }).catch((error: unknown) =>
      report(unavailable('pruning the call ledger and approvals failed', error)),
    );
  }, o.everyMs ?? 600_000);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}

function reachOf(connection: FleetConnection): { pool: PgClientPool } | { connectionString: string } {
  if (connection.connectionString !== undefined) return { connectionString: connection.connectionString };
  if (isClientPool(connection.pool)) return { pool: connection.pool };
  throw new WritError(
    'WRIT_OPTIONS_INVALID',
    'fleet services need a connection string or a pg.Pool (a pool that can lend a client for LISTEN)',
  );
}
