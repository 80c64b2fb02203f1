import { loadPg } from './pg-pool.js';

/**
 * Wakes waiters when another process changes a row (PostgreSQL `LISTEN`/`NOTIFY`), with polling as the
 * fallback: a waiter wakes on a notification for its key or after `pollMs`, whichever comes first, so a
 * lost notification, a pooler that cannot `LISTEN`, or a dropped listening connection only costs latency.
 */
export interface Notifier {
  /** Resolves on a notification on `channel` with `payload`, after `pollMs`, or rejects when `signal` aborts. */
  wait(channel: string, payload: string, options: { signal: AbortSignal; pollMs: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A notifier listening on one dedicated connection opened from `connectionString` (a direct connection,
 * not through a transaction-mode pooler); `undefined` polls only.
 */
export function createNotifier(connectionString: string | undefined): Notifier {
  const waiters = new Map<string, Set<() => void>>();
  const channels = new Set<string>();
  let client: Promise<import('pg').Client | undefined> | undefined;
  let closed = false;

  const connect = () => {
    if (connectionString === undefined || closed) return Promise.resolve(undefined);
    client ??= (async () => {
      try {
        const pg = await loadPg();
        const c = new pg.Client({ connectionString });
        c.on('error', () => {
          // the listening connection dropped: poll until the next wait reconnects
          client = undefined;
          void c.end().catch(() => undefined);
        });
        c.on('notification', (message) => {
          const key = `${message.channel}\u0000${message.payload ?? ''}`;
          for (const wake of waiters.get(key) ?? []) wake();
        });
        await c.connect();
        for (const channel of channels) await c.query(`LISTEN ${channel}`);
        return c;
      } catch {
        client = undefined;
        return undefined;
      }
    })();
    return client;
  };

  return {
    async wait(channel, payload, { signal, pollMs }) {
      if (signal.aborted) throw signal.reason;
      if (!channels.has(channel)) {
        channels.add(channel);
        const c = await connect();
        await c?.query(`LISTEN ${channel}`).catch(() => undefined);
      } else {
        await connect();
      }
      const key = `${channel}\u0000${payload}`;
      await new Promise<void>((resolve, reject) => {
        const set = waiters.get(key) ?? new Set();
        waiters.set(key, set);
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          set.delete(wake);
          if (set.size === 0) waiters.delete(key);
        };
        const wake = () => {
          done();
          resolve();
        };
        const onAbort = () => {
          done();
          reject(signal.reason);
        };
        const timer = setTimeout(wake, pollMs);
        set.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    async close() {
      closed = true;
      const c = await client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
