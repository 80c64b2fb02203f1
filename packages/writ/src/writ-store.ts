import type { WritOptions } from '@writ/core';
import type { AuditSink } from '@writ/core/plugin';
import type { RevocationList, TaskLeases } from '@writ/identity';

/**
 * Shared state for fleet mode, as `createWrit({ store })` takes it: what `postgres(url)` from
 * `@writ/postgres` returns.
 *
 * @example
 * ```ts
 * import { postgres } from '@writ/postgres';
 * const store: WritStore = postgres(process.env.DATABASE_URL as string);
 * const writ = createWrit({ store });
 * ```
 */
export interface WritStore {
  readonly kind: 'writ-store';
  readonly stores: NonNullable<WritOptions['stores']>;
  /**
   * Opens the store's running services when the runtime starts: a revocation list and task leases for the
   * embedded credential broker (every replica sees a revocation; a dead replica's tasks are reaped and
   * recorded in `audit`). Not called when you pass your own `credentials` broker.
   */
  open?(context: WritStoreContext): Promise<WritStoreServices>;
  close?(): Promise<void>;
}

/**
 * What a runtime tells its store when it starts (see {@link WritStore.open}).
 *
 * @example
 * ```ts
 * const context: WritStoreContext = { service: 'support', audit };
 * const services = await store.open?.(context);
 * ```
 */
export interface WritStoreContext {
  readonly service: string;
  readonly audit: AuditSink;
}

/**
 * A store's running services for one runtime: what the embedded credential broker revokes on and lists
 * its credentials in. Closed by `writ.close()`.
 *
 * @example
 * ```ts
 * const services: WritStoreServices = { revocations: createRevocationList(), close: async () => {} };
 * ```
 */
export interface WritStoreServices {
  readonly revocations?: RevocationList | undefined;
  readonly leases?: TaskLeases | undefined;
  close(): Promise<void>;
}
