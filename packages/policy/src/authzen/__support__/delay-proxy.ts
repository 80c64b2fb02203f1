// Test support: a loopback TCP proxy that forwards requests at once but holds every byte of the answer
// for `delayMs`, to make a real PDP slow without touching it.
import { connect, createServer, type Socket } from 'node:net';

/** A running delay proxy. */
export interface DelayProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`{ host, port }`) that delays the upstream's answers by `delayMs`. */
export function startDelayProxy(
  target: { host: string; port: number },
  options: { delayMs: number },
): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  const later = (fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, options.delayMs);
    timers.add(timer);
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('data', (chunk) => later(() => client.writable && client.write(chunk)));
    upstream.on('end', () => later(() => client.end()));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        connections: () => accepted,
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer);
            timers.clear();
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
