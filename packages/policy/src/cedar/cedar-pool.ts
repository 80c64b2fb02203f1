import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { WritError } from '@writ/core';
import { type CedarAnswer, failedAnswer } from './cedar-decision.js';
import { cedarWasm } from './cedar-wasm.js';
import type { CedarPolicySet } from './policy-set.js';

/** A `statefulIsAuthorized` call, as built by `cedarCall`. */
type CedarCall = Parameters<typeof statefulIsAuthorized>[0];

// Each worker holds its own cedar-wasm instance and the preparsed sets it was sent. It answers what
// `statefulIsAuthorized` answers; the decision is made from the answer in the main thread, by the same
// code that reads an in-thread answer (`cedarDecision`). CommonJS, evaluated: no extra file to ship.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const cedar = require(workerData.cedarPath);
const failure = (e) => ({ type: 'failure', errors: [{ message: e instanceof Error ? e.message : String(e) }], warnings: [] });
// cedar-wasm reads its call through one JSON.stringify of the whole call. The main thread sends that
// JSON text, already made (cheaper than a structured clone of the object, here and there): handed back
// as what stringify returns for a marker object, Cedar reads exactly the bytes it would have made
// itself. If a version of cedar-wasm ever reads its call otherwise, the text is parsed and passed.
const stringify = JSON.stringify;
const RAW = {};
let raw;
let read = false;
JSON.stringify = function (value) {
  if (value === RAW && raw !== undefined) { read = true; return raw; }
  return Reflect.apply(stringify, JSON, arguments);
};
const evaluate = (text) => {
  raw = text; read = false;
  let answer;
  try { answer = cedar.statefulIsAuthorized(RAW); } finally { raw = undefined; }
  return read ? answer : cedar.statefulIsAuthorized(JSON.parse(text));
};
parentPort.on('message', (m) => {
  if (m.t === 'load') {
    let error;
    try {
      if (m.schema !== undefined) {
        const s = cedar.preparseSchema(m.id, m.schema);
        if (s.type === 'failure') error = 'schema: ' + (s.errors[0] && s.errors[0].message);
      }
      const p = cedar.preparsePolicySet(m.id, { staticPolicies: m.policies });
      if (p.type === 'failure') error = 'policies: ' + (p.errors[0] && p.errors[0].message);
    } catch (e) { error = String(e); }
    parentPort.postMessage({ n: m.n, error });
    return;
  }
  // a batch of calls sent together (those that arrived in the same turn of the main thread's loop)
  const answers = m.calls.map((text) => {
    try { return evaluate(text); } catch (e) { return failure(e); }
  });
  parentPort.postMessage({ n: m.n, answers });
});
`;

/** Most calls sent to a worker in one message. */
const MAX_BATCH = 4;

interface Reply {
  readonly answers?: readonly CedarAnswer[];
  readonly error?: string;
}

interface Slot {
  worker: Worker;
  pending: Map<number, (reply: Reply) => void>;
  /** Sets this worker has preparsed (by set id). */
  loaded: Map<string, Promise<void>>;
  /** Calls not sent yet: sent together at the end of this turn of the loop, as one message. */
  batch: { json: string; resolve: (answer: CedarAnswer) => void }[];
  /** Calls sent and not answered yet. */
  inFlight: number;
  /** Why the worker is gone (it failed, exited or was closed): later messages are answered with it. */
  dead?: string;
}

/**
 * How many Cedar workers `workers: 'auto'` starts: one per core the process may use
 * (`os.availableParallelism()`), or 0 (Cedar in the calling thread) on one core. The application's own
 * thread shares the cores with them: its work per call is a fraction of a Cedar evaluation, so a
 * worker per core keeps every core evaluating, where `cores − 1` workers would cap Cedar at one core
 * on a two-core machine.
 *
 * @example
 * ```ts
 * const policy = await createCedarEngine({ workers: autoCedarWorkers() });
 * ```
 */
export function autoCedarWorkers(): number {
  const cores = availableParallelism();
  return cores > 1 ? cores : 0;
}

/**
 * A pool of `worker_threads`, each with its own cedar-wasm instance, that evaluates preparsed policy
 * sets off the application's thread. Least-loaded worker first; a worker that dies fails its calls
 * (each a deny) and is replaced on the next call. Workers keep the process alive only while calls are
 * in flight. @internal
 *
 * @example
 * ```ts
 * const pool = new CedarPool(1);
 * const answer = await pool.authorize(set, cedarCall(set, request, undefined));
 * ```
 */
export class CedarPool {
  readonly #slots: (Slot | undefined)[];
  readonly #cedarPath = createRequire(import.meta.url).resolve('@cedar-policy/cedar-wasm/nodejs');
  #next = 0;
  #closed = false;

  constructor(readonly size: number) {
    this.#slots = Array.from({ length: size }, () => undefined);
  }

  /** Cedar's answer for `call` against `set`, from the least-loaded worker. Never rejects. */
  async authorize(set: CedarPolicySet, call: CedarCall): Promise<CedarAnswer> {
    if (this.#closed) return failedAnswer(new WritError('WRIT_INTERNAL', 'the Cedar engine is closed'));
    // The JSON text cedar-wasm would make of the call in this thread (it reads every call through one
    // JSON.stringify): sent as a string, it costs a copy instead of a structured clone of the object.
    let json: string;
    try {
      json = JSON.stringify(call);
    } catch {
      // a call JSON cannot carry (a BigInt, a cycle from a context extension): Cedar's own stringify
      // fails on it too, so it is evaluated here, to fail exactly as it fails in-thread
      try {
        return cedarWasm().statefulIsAuthorized(call);
      } catch (error) {
        return failedAnswer(error);
      }
    }
    const slot = this.#pick();
    try {
      await this.#load(slot, set);
    } catch (error) {
      return failedAnswer(error);
    }
    return new Promise((resolve) => {
      slot.inFlight++;
      if (slot.batch.push({ json, resolve }) === 1) queueMicrotask(() => this.#flush(slot));
    });
  }

  #flush(slot: Slot): void {
    while (slot.batch.length > 0) this.#sendBatch(slot, slot.batch.splice(0, MAX_BATCH));
  }

  #sendBatch(slot: Slot, batch: Slot['batch']): void {
    void this.#send(slot, { t: 'decide', calls: batch.map((b) => b.json) }).then((reply) => {
      slot.inFlight -= batch.length;
      batch.forEach((b, i) => {
        b.resolve(reply.answers?.[i] ?? failedAnswer(reply.error ?? 'no answer from the Cedar worker'));
      });
    });
  }

  /** Preparses `set` in every running worker now (the others preparse it on their first call). */
  async preload(set: CedarPolicySet): Promise<void> {
    await Promise.all(this.#slots.map((_, i) => this.#load(this.#slot(i), set)));
  }

  /** Stops every worker; calls in flight get a deny. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.splice(0).map((slot) => slot?.worker.terminate()));
  }

  #pick(): Slot {
    let best = this.#next % this.size;
    let least = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.size; k++) {
      const i = (this.#next + k) % this.size;
      const load = this.#slots[i]?.inFlight ?? 0;
      if (load < least) {
        least = load;
        best = i;
      }
    }
    this.#next = best + 1;
    return this.#slot(best);
  }

  #slot(i: number): Slot {
    const existing = this.#slots[i];
    if (existing !== undefined) return existing;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { cedarPath: this.#cedarPath },
    });
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), loaded: new Map(), batch: [], inFlight: 0 };
    const fail = (message: string) => {
      slot.dead ??= message;
      if (this.#slots[i] === slot) this.#slots[i] = undefined;
      for (const resolve of slot.pending.values()) resolve({ error: message });
      slot.pending.clear();
    };
    worker.on('message', (reply: Reply & { n: number }) => {
      const resolve = slot.pending.get(reply.n);
      slot.pending.delete(reply.n);
      if (slot.pending.size === 0) worker.unref();
      resolve?.(reply);
    });
    worker.on('error', (error) => fail(`the Cedar worker failed: ${error.message}`));
    worker.on('exit', (code) => fail(`the Cedar worker exited (code ${code})`));
    this.#slots[i] = slot;
    return slot;
  }

  #load(slot: Slot, set: CedarPolicySet): Promise<void> {
    let loading = slot.loaded.get(set.setId);
    if (loading === undefined) {
      loading = this.#send(slot, {
        t: 'load',
        id: set.setId,
        policies: set.loaded.policies,
        schema: set.schemaText,
      }).then((reply) => {
        if (reply.error !== undefined) throw new WritError('WRIT_POLICY_INVALID', reply.error);
      });
      slot.loaded.set(set.setId, loading);
    }
    return loading;
  }

  #seq = 0;
  #send(slot: Slot, message: Record<string, unknown>): Promise<Reply> {
    const n = ++this.#seq;
    return new Promise((resolve) => {
      if (slot.dead !== undefined) {
        resolve({ error: slot.dead });
        return;
      }
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(n, resolve);
      slot.worker.postMessage({ ...message, n });
    });
  }
}
