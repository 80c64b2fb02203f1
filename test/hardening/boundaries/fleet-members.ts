// Child processes of the fleet tests (issue 20): each member is a script run with `fork`, driven over IPC
// (`{ id, op, input }` → `{ id, ok, value | error }`); it says `{ ready: true, ... }` once started.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FleetMember<Ready = Record<string, unknown>> {
  /** Runs `op` in the member; rejects with the member's `{ code, message }` when it threw. */
  call<T = unknown>(op: string, input?: unknown): Promise<T>;
  /** What the member said when it was ready (beside `ready: true`). */
  readonly ready: Ready;
  readonly child: ChildProcess;
}

interface Message {
  ready?: true;
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: unknown;
}

/** Forks `script` with `env` added to this process's, and waits until it is ready. */
export async function forkMember<Ready = Record<string, unknown>>(
  script: string,
  name: string,
  env: Readonly<Record<string, string>>,
): Promise<FleetMember<Ready>> {
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let next = 0;
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
    child.on('message', (m: Message) => {
      if (m.ready) return resolve(m as Ready);
      const w = waiting.get(m.id as number);
      waiting.delete(m.id as number);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(Object.assign(new Error(JSON.stringify(m.error)), m.error as object));
    });
  });
  return {
    ready,
    child,
    call: (op, input) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, input });
      }),
  };
}

const MEMBER = fileURLToPath(new URL('./fleet-member.mjs', import.meta.url));
/** The store key every fleet-member.mjs signs the shared rows with (`WRIT_STORE_KEY` for the CLI). */
export const STORE_KEY = 'fleet-test-store-key-0123456789abcdef';

/** A fleet-member.mjs process: its own createWrit and file audit log in `dir`, the shared stores. */
export interface Member extends FleetMember {
  readonly dir: string;
}

/** Forks a fleet-member.mjs named `name` (its audit log in `<root>/<name>`) and waits until it is ready. */
export async function member(
  name: string,
  db: { connectionString(): string },
  root: string,
): Promise<Member> {
  const dir = join(root, name);
  const env = { DATABASE_URL: db.connectionString(), AUDIT_DIR: dir, MEMBER: name, STORE_KEY };
  return { ...(await forkMember(MEMBER, name, env)), dir };
}

/** Asks each member to close, then kills it (afterAll of a fleet test). */
export async function stopMembers(...members: (FleetMember | undefined)[]): Promise<void> {
  await Promise.all(members.map((m) => m?.call('close').catch(() => undefined)));
  for (const m of members) m?.child.kill();
}

/** The audit events of a file log (checkpoints left out), typed as the caller reads them. */
export async function auditRecords<R extends { kind: string }>(dir: string): Promise<R[]> {
  const { readLines } = await import('@writ/audit');
  const out: R[] = [];
  for await (const line of readLines(dir)) {
    const record = JSON.parse(line.bytes.toString('utf8')) as { r?: R };
    if (record.r !== undefined) out.push(record.r);
  }
  return out;
}

/** The kinds of the records of one tool call, in log order. */
export const kindsOfCall = (list: readonly { kind: string; call?: { id: string } }[], id: string) =>
  list.filter((r) => r.call?.id === id).map((r) => r.kind);
