import { WritError } from '@writ/core';
import { decodeBase64, isNoteText } from './text.js';

/**
 * A transparency-log checkpoint (C2SP `tlog-checkpoint`): the log's origin, its tree size and the RFC
 * 6962 root hash at that size, plus optional opaque extension lines.
 *
 * @example
 * ```ts
 * const cp: Checkpoint = { origin: 'example.com/log', size: frontier.size, rootHash: frontier.root(), extensions: [] };
 * ```
 */
export interface Checkpoint {
  /** Identifies the log; the first line. Non-empty, no newline. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 Merkle Tree Hash of the first `size` leaves (32 bytes). */
  rootHash: Buffer;
  /** Extra non-empty lines after the root; usually none. */
  extensions: string[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * The note text of a checkpoint: `origin`, size in decimal, base64 root, then any extension lines, each
 * ending in a newline. Throws `WRIT_OPTIONS_INVALID` for a checkpoint that could not be parsed back
 * (empty origin or extension, a newline or control character inside a line, a size that is not a
 * non-negative safe integer, a root that is not 32 bytes).
 *
 * @example
 * ```ts
 * formatCheckpoint({ origin: 'example.com/log', size: 3, rootHash: root, extensions: [] });
 * // 'example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n'
 * ```
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const problem = checkpointProblem(cp);
  if (problem !== undefined) {
    throw new WritError('WRIT_OPTIONS_INVALID', `formatCheckpoint: ${problem}`, { details: { problem } });
  }
  let text = `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString('base64')}\n`;
  for (const line of cp.extensions) text += `${line}\n`;
  return text;
}

/**
 * Parses checkpoint note text strictly: a non-empty origin, the size in decimal without leading zeros
 * (at most 2^53 - 1), a 32-byte root in standard padded base64, non-empty extension lines, and a final
 * newline. Anything else throws `WRIT_INPUT_INVALID` with `details.reason`. This reads the text only:
 * open the signed note first ({@link openCheckpoint} does both).
 *
 * @example
 * ```ts
 * const cp = parseCheckpoint('example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n');
 * cp.size; // 3
 * ```
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') refuse('not-text', 'checkpoint text must be a string');
  if (!text.endsWith('\n')) refuse('missing-final-newline', 'checkpoint text must end with a newline');
  if (!isNoteText(text)) {
    refuse('invalid-character', 'checkpoint text has a control character or invalid UTF-16');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) refuse('too-few-lines', 'a checkpoint needs origin, size and root hash lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') refuse('empty-origin', 'checkpoint origin is empty');
  if (!DECIMAL.test(sizeLine)) {
    refuse('bad-size', 'checkpoint size is not a decimal number without leading zeros');
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) refuse('bad-size', 'checkpoint size is too large');
  const rootHash = decodeBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== 32) {
    refuse('bad-root-hash', 'checkpoint root hash is not a base64 32-byte hash');
  }
  if (extensions.some((line) => line === '')) {
    refuse('empty-extension', 'checkpoint has an empty extension line');
  }
  return { origin, size, rootHash, extensions };
}

function checkpointProblem(cp: Checkpoint): string | undefined {
  if (typeof cp !== 'object' || cp === null) return 'checkpoint must be an object';
  if (!isLine(cp.origin)) return 'origin must be a non-empty line without control characters';
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) return 'size must be a non-negative safe integer';
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== 32) return 'rootHash must be 32 bytes';
  if (!Array.isArray(cp.extensions) || !cp.extensions.every(isLine)) {
    return 'extensions must be non-empty lines without control characters';
  }
  return undefined;
}

function isLine(value: unknown): boolean {
  return typeof value === 'string' && value !== '' && !value.includes('\n') && isNoteText(value);
}

function refuse(reason: string, message: string): never {
  throw new WritError('WRIT_INPUT_INVALID', `malformed checkpoint: ${message}`, { details: { reason } });
}
