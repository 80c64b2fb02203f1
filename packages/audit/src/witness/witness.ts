import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { openNote, parseNote } from '../checkpoint/signed-note.js';
import { type NoteVerifier, parseVerifierKey } from '../checkpoint/verifier-key.js';
import { checkLogDir } from '../file/log-dir.js';
import { lockLogDir } from '../file/writer-lock.js';
import { readKeyFile } from '../log-signer.js';
import { EMPTY } from '../merkle/hashing.js';
import { verifyConsistency } from '../merkle/proofs.js';
import { parseAddCheckpoint } from './add-checkpoint.js';
import { type Cosigner, createCosigner } from './cosignature.js';
import { listenWitness, type WitnessServer } from './witness-server.js';
import { readWitnessedState, type WitnessedState, writeWitnessedState } from './witness-state.js';

/**
 * The name of a witness's signer key file in its key directory (`writ witness keygen` writes it).
 *
 * @example
 * ```ts
 * const file = join(keyDir, WITNESS_KEY_FILE); // '<keyDir>/witness.witness-key'
 * ```
 */
export const WITNESS_KEY_FILE = 'witness.witness-key';

/**
 * A log a witness cosigns: its origin and the C2SP verifier key(s) its checkpoints are signed with.
 *
 * @example
 * ```ts
 * const log: WitnessedLog = { origin: audit.origin, verifierKey: audit.verifierKey };
 * ```
 */
export interface WitnessedLog {
  readonly origin: string;
  readonly verifierKey: string | readonly string[];
}

/**
 * Options of {@link createWitness}.
 *
 * @example
 * ```ts
 * const options: CreateWitnessOptions = {
 *   keyDir: '/var/lib/witness/keys',
 *   stateDir: '/var/lib/witness/state',
 *   logs: [{ origin: 'writ.local/audit/orders', verifierKey: ordersKey }],
 * };
 * ```
 */
export interface CreateWitnessOptions {
  /** The witness's signer key (`generateWitnessKeys().signerKey`); or give `keyDir`. */
  readonly key?: string;
  /** A directory holding `witness.witness-key` (mode 0600), as `writ witness keygen` writes it. */
  readonly keyDir?: string;
  /** The logs this witness cosigns. */
  readonly logs: readonly WitnessedLog[];
  /** Where the latest cosigned checkpoint of each log is kept (one witness process per directory). */
  readonly stateDir: string;
  /** Dates cosignatures, ms since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** Called after each request that was answered, with what was decided (for the operator's log). */
  readonly onRequest?: (event: WitnessEvent) => void;
}

/**
 * What the witness answered to one `add-checkpoint` request.
 *
 * @example
 * ```ts
 * const onRequest = (e: WitnessEvent) => console.error(`${e.status} ${e.origin ?? '?'}@${e.size ?? '?'}: ${e.reason}`);
 * ```
 */
export interface WitnessEvent {
  /** The HTTP status: 200 cosigned; 400 malformed or old > size; 403 no trusted signature; 404 unknown log; 409 old size or root differ; 422 proof failed. */
  readonly status: number;
  readonly origin?: string;
  readonly size?: number;
  readonly oldSize?: number;
  /** Why, in one sentence. */
  readonly reason: string;
}

/**
 * The answer to an `add-checkpoint` request, as HTTP.
 *
 * @example
 * ```ts
 * const { status, contentType, body }: WitnessResponse = await witness.addCheckpoint(requestBody);
 * ```
 */
export interface WitnessResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * A running C2SP tlog-witness. Create with {@link createWitness}.
 *
 * @example
 * ```ts
 * const witness: Witness = await createWitness(options);
 * const server = await witness.listen({ port: 7380 });
 * console.log(`witness ${witness.verifierKey} on ${server.url}`);
 * ```
 */
export interface Witness {
  readonly name: string;
  /** The witness's verifier key (type 0x04): configure logs and verifiers with it. */
  readonly verifierKey: string;
  /** Answers one `add-checkpoint` request body (what `POST /add-checkpoint` does). */
  addCheckpoint(body: string): Promise<WitnessResponse>;
  /** The latest checkpoint cosigned for `origin`, or `undefined`. */
  state(origin: string): Promise<WitnessedState | undefined>;
  /** Serves `POST <prefix>/add-checkpoint` over HTTP. @default host 127.0.0.1, port 0 (any free port) */
  listen(options?: { port?: number; host?: string; prefix?: string }): Promise<WitnessServer>;
  /** Stops its servers and releases the state directory. */
  close(): Promise<void>;
}

const optionsSchema = z.strictObject({
  key: z.string().min(1).optional(),
  keyDir: z.string().min(1).optional(),
  logs: z
    .array(
      z.strictObject({
        origin: z.string().min(1),
        verifierKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
      }),
    )
    .min(1),
  stateDir: z.string().min(1),
  clock: z.function().optional(),
  onRequest: z.function().optional(),
});

/**
 * A small C2SP tlog-witness (https://c2sp.org/tlog-witness). For each configured log it keeps the
 * latest checkpoint it cosigned (size and root, written atomically and synced before it answers) and
 * cosigns a new one only when the log's signature verifies and the consistency proof from that
 * checkpoint does: a rollback (a smaller size) or a fork (another root at the same size, or a tree that
 * does not extend the one it holds) is refused, whoever holds the log's key. Answers exactly as the
 * specification says: 200 with the `cosignature/v1` line; 400 malformed, or `old` larger than the
 * checkpoint; 403 no signature by the log's key; 404 unknown origin; 409 `old` is not the size it holds
 * (body: that size, `text/x.tlog.size`), or the same size with another root; 422 the proof does not
 * verify. Requests for one log are answered one at a time. Bad options throw `WRIT_OPTIONS_INVALID`; a
 * state directory another witness holds throws `WRIT_AUDIT_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const witness = await createWitness({
 *   keyDir: '.writ/witness',
 *   stateDir: '.writ/witness/state',
 *   logs: [{ origin: audit.origin, verifierKey: audit.verifierKey }],
 * });
 * const server = await witness.listen({ port: 7380 });
 * // the log: createFileAuditSink({ witnesses: [{ url: server.url, verifierKey: witness.verifierKey }] })
 * ```
 */
export async function createWitness(options: CreateWitnessOptions): Promise<Witness> {
  const o = validateOptions(optionsSchema, options, 'createWitness') as CreateWitnessOptions;
  if ((o.key === undefined) === (o.keyDir === undefined)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'createWitness: give either key or keyDir', {
      details: { option: 'key' },
    });
  }
  const keys = new Map<string, NoteVerifier[]>();
  for (const log of o.logs) {
    const list = typeof log.verifierKey === 'string' ? [log.verifierKey] : [...log.verifierKey];
    keys.set(log.origin, [...(keys.get(log.origin) ?? []), ...list.map(parseVerifierKey)]);
  }
  const secret = o.key ?? (await readKeyFile(join(resolve(o.keyDir as string), WITNESS_KEY_FILE))).trim();
  const cosigner = createCosigner(secret, { clock: o.clock });
  const stateDir = resolve(o.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await checkLogDir(stateDir);
  const release = await lockLogDir(stateDir);
  const queues = new Map<string, Promise<unknown>>();
  const servers = new Set<WitnessServer>();
  const report = (event: WitnessEvent): void => {
    try {
      o.onRequest?.(event);
    } catch {
      // the operator's hook never changes the answer
    }
  };

  /** Runs `fn` after every earlier request for `origin`: checking and recording are one step. */
  const serialized = <T>(origin: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(origin) ?? Promise.resolve()).then(fn, fn);
    queues.set(
      origin,
      run.catch(() => undefined),
    );
    return run;
  };

  const witness: Witness = {
    name: cosigner.name,
    verifierKey: cosigner.verifierKey,
    async addCheckpoint(body: string): Promise<WitnessResponse> {
      const decided = await decide(body, keys, stateDir, cosigner, serialized);
      report(decided.event);
      return decided.response;
    },
    state: (origin: string) => readWitnessedState(stateDir, origin),
    async listen(listenOptions = {}) {
      const server = await listenWitness(witness, listenOptions);
      servers.add(server);
      return server;
    },
    async close() {
      await Promise.all([...servers].map((s) => s.close()));
      servers.clear();
      await release();
    },
  };
  return witness;
}

type Serialized = <T>(origin: string, fn: () => Promise<T>) => Promise<T>;

async function decide(
  body: string,
  keys: Map<string, NoteVerifier[]>,
  stateDir: string,
  cosigner: Cosigner,
  serialized: Serialized,
): Promise<{ response: WitnessResponse; event: WitnessEvent }> {
  const answer = (status: number, reason: string, at: Partial<WitnessEvent> = {}, text?: string) => ({
    response: { status, contentType: 'text/plain; charset=utf-8', body: text ?? `${reason}\n` },
    event: { status, reason, ...at },
  });
  const request = parseAddCheckpoint(body);
  if ('problem' in request) return answer(400, request.problem);
  let text: string;
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    text = parseNote(request.note).text;
    checkpoint = parseCheckpoint(text);
  } catch (error) {
    return answer(400, `malformed checkpoint note: ${(error as Error).message}`);
  }
  const { origin, size, rootHash } = checkpoint;
  const at = { origin, size, oldSize: request.oldSize };
  const verifiers = keys.get(origin);
  if (verifiers === undefined) return answer(404, 'unknown log origin', at);
  try {
    openNote(request.note, verifiers);
  } catch {
    return answer(403, 'no signature by a key this witness trusts for the log', at);
  }
  if (request.oldSize > size) return answer(400, 'old size is larger than the checkpoint size', at);
  return serialized(origin, async () => {
    const held = await readWitnessedState(stateDir, origin);
    const heldSize = held?.size ?? 0;
    if (request.oldSize !== heldSize) {
      return {
        response: { status: 409, contentType: 'text/x.tlog.size', body: `${heldSize}\n` },
        event: { status: 409, reason: `old size ${request.oldSize} is not the ${heldSize} cosigned`, ...at },
      };
    }
    const heldRoot = held === undefined ? EMPTY : Buffer.from(held.root, 'base64');
    if (request.oldSize === size && !heldRoot.equals(rootHash)) {
      return answer(409, 'a different root hash at the size already cosigned: a fork', at);
    }
    if (!verifyConsistency(request.oldSize, size, heldRoot, rootHash, request.proof)) {
      return answer(422, 'the consistency proof from the cosigned checkpoint does not verify', at);
    }
    await writeWitnessedState(stateDir, { origin, size, root: rootHash.toString('base64') });
    return answer(200, 'cosigned', at, cosigner.cosign(text));
  });
}
