// A fleet member as a child process driven over IPC (issue 20 acceptance tests): the child sends
// `{ ready: true }` once started, then answers each `{ id, op, input }` with `{ id, ok, value | error }`.
import { type ChildProcess, fork } from 'node:child_process';

/** A running member: `call(op, input)` asks it to do something and resolves with its answer. */
export interface FleetProcess {
  call<T = unknown>(op: string, input?: unknown): Promise<T>;
  readonly child: ChildProcess;
}

/** Forks `script` with `env` added to this process's, and waits until it says it is ready. */
export async function forkMember(
  script: string,
  name: string,
  env: Readonly<Record<string, string>>,
): Promise<FleetProcess> {
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
    child.on(
      'message',
      (m: { ready?: true; id?: number; ok?: boolean; value?: unknown; error?: unknown }) => {
        if (m.ready) return resolve();
        const w = waiting.get(m.id as number);
        waiting.delete(m.id as number);
        if (m.ok) w?.resolve(m.value);
        else w?.reject(Object.assign(new Error(JSON.stringify(m.error)), m.error as object));
      },
    );
  });
  return {
    child,
    call: (op, input) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, input });
      }),
  };
}
