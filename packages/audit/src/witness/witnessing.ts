import { WritError } from '@writ/core';
import { z } from 'zod';
import { formatAddCheckpoint } from './add-checkpoint.js';
import { type CosignatureVerifier, parseCosignatureKey, verifyCosignatures } from './cosignature.js';

/**
 * The log side of C2SP tlog-witness: after each sealed checkpoint, ask every configured witness to
 * cosign it (with a consistency proof from the size the witness holds), then publish the checkpoint
 * with the cosignatures that verified appended. Never in an append's path: failures go to `onError`.
 */

/**
 * A witness a log asks for cosignatures: its submission URL (`POST <url>/add-checkpoint`) and its
 * verifier key (type 0x04; `writ witness keygen` prints it).
 *
 * @example
 * ```ts
 * const witnesses: WitnessEndpoint[] = [{ url: 'http://127.0.0.1:7380', verifierKey: witnessKey }];
 * const audit = await createFileAuditSink({ witnesses });
 * ```
 */
export interface WitnessEndpoint {
  readonly url: string;
  readonly verifierKey: string;
}

/** How long one witness request may take, ms. */
const REQUEST_TIMEOUT_MS = 10_000;
/** 409 answers followed (each names the size the witness holds) before giving up on a checkpoint. */
const MAX_CONFLICTS = 2;

/**
 * The zod schema of the `witnesses` sink option.
 * @internal
 */
export const witnessesSchema = z
  .array(z.strictObject({ url: z.string().url(), verifierKey: z.string().min(1) }))
  .max(32);

/** @internal */
export interface Witnessing {
  /**
   * Asks the witnesses to cosign `note` in the background, then publishes it with their cosignatures;
   * a note submitted while another is under way replaces any note still waiting.
   */
  submit(note: string): void;
  /** Resolves once every submitted checkpoint was handled. */
  settled(): Promise<void>;
}

/**
 * The witnessing of one log. `prove(oldSize, newSize)` returns the consistency proof between two sizes
 * of the log; `publish(note)` publishes the checkpoint with its cosignatures.
 *
 * @example
 * ```ts
 * const witnessing = createWitnessing({ witnesses, prove, publish, onError });
 * witnessing.submit(note); // after the log published `note`
 * ```
 * @internal
 */
export function createWitnessing(options: {
  witnesses: readonly WitnessEndpoint[];
  prove: (oldSize: number, newSize: number) => Promise<readonly Uint8Array[]>;
  publish: (note: string) => Promise<void>;
  onError?: ((error: WritError) => void) | undefined;
  fetch?: typeof fetch;
}): Witnessing {
  const doFetch = options.fetch ?? fetch;
  const witnesses = options.witnesses.map((w) => ({
    url: w.url.replace(/\/+$/, ''),
    verifier: parseCosignatureKey(w.verifierKey),
    /** The size this witness last cosigned, as far as this process knows. */
    held: 0,
  }));
  const report = (error: WritError) => {
    try {
      options.onError?.(error);
    } catch {
      // the hook's own failure is not the log's
    }
  };

  async function cosignOne(w: (typeof witnesses)[number], note: string, size: number): Promise<string> {
    for (let conflicts = 0; ; conflicts++) {
      if (w.held > size) {
        throw refusal(
          w.url,
          `the witness holds ${w.held} records, more than this checkpoint's ${size}: the log was rolled back or forked`,
          409,
        );
      }
      const proof = w.held === 0 ? [] : await options.prove(w.held, size);
      const body = formatAddCheckpoint({ oldSize: w.held, proof: proof.map((h) => Buffer.from(h)), note });
      const response = await doFetch(`${w.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status === 409 && /^(?:0|[1-9][0-9]*)\n$/.test(text) && conflicts < MAX_CONFLICTS) {
        const reported = Number(text.trim());
        if (reported !== w.held) {
          w.held = reported;
          continue;
        }
      }
      if (response.status !== 200) {
        throw refusal(w.url, `answered ${response.status}: ${text.slice(0, 200).trim()}`, response.status);
      }
      const lines = cosignatureLines(text, w.verifier, note);
      if (lines === '') throw refusal(w.url, 'answered 200 without a valid cosignature by its key', 200);
      w.held = size;
      return lines;
    }
  }

  async function witness(note: string): Promise<void> {
    const size = Number(note.split('\n')[1]);
    const results = await Promise.allSettled(witnesses.map((w) => cosignOne(w, note, size)));
    let cosigned = '';
    for (const result of results) {
      if (result.status === 'fulfilled') cosigned += result.value;
      else report(asWritError(result.reason));
    }
    if (cosigned !== '') await options.publish(note + cosigned);
  }

  // only the newest checkpoint waiting is sent: a witness vouches for the latest tree, and each request
  // proves consistency from what it holds, so checkpoints sealed while one was under way are skipped
  let waiting: string | undefined;
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (waiting !== undefined) {
      const note = waiting;
      waiting = undefined;
      await witness(note).catch((error: unknown) => report(asWritError(error)));
    }
  };
  return {
    submit(note: string) {
      waiting = note;
      running ??= drain().finally(() => {
        running = undefined;
      });
    },
    settled: async () => {
      while (running !== undefined) await running;
    },
  };
}

/** The lines of a 200 answer that are valid cosignatures of `note` by `verifier`. */
function cosignatureLines(text: string, verifier: CosignatureVerifier, note: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      if (verifyCosignatures(`${note}${line}\n`, [verifier], { threshold: 1 }).ok) out += `${line}\n`;
    } catch {
      // not a signature line: ignored, as C2SP says of unknown signatures
    }
  }
  return out;
}

function refusal(url: string, message: string, status: number): WritError {
  return new WritError('WRIT_AUDIT_UNAVAILABLE', `witness ${url} did not cosign: ${message}`, {
    details: { reason: 'witness_refused', url, status },
  });
}

function asWritError(error: unknown): WritError {
  if (WritError.isInstance(error)) return error;
  return new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `a witness could not be reached: ${(error as Error)?.message}`,
    {
      cause: error,
      details: { reason: 'witness_unreachable' },
    },
  );
}
