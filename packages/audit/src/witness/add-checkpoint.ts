import { decodeBase64 } from '../checkpoint/text.js';

/**
 * The body of a C2SP tlog-witness `add-checkpoint` request (https://c2sp.org/tlog-witness): `old <size>`,
 * at most 63 base64 consistency proof lines, an empty line, then the checkpoint note.
 */

/** Most consistency proof lines a request may carry (C2SP tlog-witness). @internal */
export const MAX_PROOF_LINES = 63;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * A parsed `add-checkpoint` request body.
 *
 * @example
 * ```ts
 * const request: AddCheckpointRequest = { oldSize: 10, proof: [hashA, hashB], note };
 * ```
 */
export interface AddCheckpointRequest {
  /** The size of the checkpoint the witness is believed to hold for this log (0 when none). */
  readonly oldSize: number;
  /** The RFC 6962 consistency proof from `oldSize` to the checkpoint's size (32-byte hashes). */
  readonly proof: readonly Buffer[];
  /** The checkpoint as a signed note, its signatures included. */
  readonly note: string;
}

/**
 * The body of an `add-checkpoint` request.
 *
 * @example
 * ```ts
 * await fetch(`${witnessUrl}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize, proof, note }) });
 * ```
 */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  const proof = request.proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.note}`;
}

/**
 * Parses an `add-checkpoint` request body strictly, or says why it is malformed (HTTP 400): an old
 * size line, at most 63 proof lines of base64 32-byte hashes, an empty line, then the note.
 *
 * @example
 * ```ts
 * const parsed = parseAddCheckpoint(body);
 * const status = 'problem' in parsed ? 400 : 200;
 * ```
 */
export function parseAddCheckpoint(body: string): AddCheckpointRequest | { problem: string } {
  const blank = body.indexOf('\n\n');
  if (blank < 0) return { problem: 'no empty line before the checkpoint' };
  const head = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const oldLine = head[0] as string;
  if (!oldLine.startsWith('old ') || !DECIMAL.test(oldLine.slice(4))) {
    return { problem: 'the first line must be "old <size>" in decimal without leading zeros' };
  }
  const oldSize = Number(oldLine.slice(4));
  if (!Number.isSafeInteger(oldSize)) return { problem: 'the old size is too large' };
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) return { problem: `more than ${MAX_PROOF_LINES} proof lines` };
  const proof: Buffer[] = [];
  for (const line of lines) {
    const hash = decodeBase64(line);
    if (hash === undefined || hash.length !== 32)
      return { problem: 'a proof line is not a base64 32-byte hash' };
    proof.push(hash);
  }
  return { oldSize, proof, note };
}
