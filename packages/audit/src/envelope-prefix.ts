/**
 * The envelope prefix every stored line starts with, `{"i":<index>,"p":"<64 hex or empty>","r":{`, read
 * without parsing the line: canonical JSON sorts keys, so the prefix is fixed. Two readers of the same
 * rule: {@link peekEnvelope} on a line's text, {@link peek} and {@link follows} on its bytes (bulk
 * verification, with no string per line). The leaf-hashing worker (`leaf-hasher.ts`) carries its own
 * copy of the byte reader, as source text, and must stay in step with this one.
 */

const PREFIX = /^\{"i":(0|[1-9][0-9]{0,15}),"p":"([0-9a-f]{64}|)","r":\{/;

/**
 * Reads index and previous hash from the start of a stored line without parsing it, or `undefined`
 * when the line does not start like an envelope.
 *
 * @example
 * ```ts
 * const head = peekEnvelope(line);
 * if (head === undefined || head.i !== expectedIndex) throw new Error(`record ${expectedIndex} is missing`);
 * ```
 * @internal
 */
export function peekEnvelope(line: string): { i: number; p: string } | undefined {
  const m = PREFIX.exec(line);
  if (m === null || !line.endsWith('}}')) return undefined;
  return { i: Number(m[1]), p: m[2] as string };
}

const HEAD = Buffer.from('{"i":');
const P_FIELD = Buffer.from(',"p":"');
const R_FIELD = Buffer.from('","r":{');
/** Canonical JSON sorts keys, so a checkpoint record's first key follows the envelope prefix directly. */
const CHECKPOINT_MARK = Buffer.from('"kind":"checkpoint"');

/** A record's envelope as {@link peek} reads it. @internal */
export interface Peeked {
  /** The index the record carries. */
  readonly i: number;
  /** Offset of the 64 hex digits of `p` in the line, or -1 when `p` is empty. */
  readonly p: number;
  /** Whether the record's first key is `"kind":"checkpoint"`. */
  readonly checkpoint: boolean;
}

/**
 * The envelope prefix `{"i":<index>,"p":"<64 hex or empty>","r":{` read straight from the bytes (the
 * canonical encoding fixes it), or `undefined` when the line is not shaped like a record.
 * @internal
 */
export function peek(bytes: Buffer): Peeked | undefined {
  const n = bytes.length;
  if (n < 20 || bytes[n - 1] !== 0x7d || bytes[n - 2] !== 0x7d) return undefined;
  if (!bytesAt(bytes, 0, HEAD)) return undefined;
  let at = HEAD.length;
  let i = 0;
  const first = at;
  while (at < n && at - first < 16) {
    const c = bytes[at] as number;
    if (c < 0x30 || c > 0x39) break;
    i = i * 10 + (c - 0x30);
    at++;
  }
  const digits = at - first;
  if (digits === 0 || (digits > 1 && bytes[first] === 0x30)) return undefined;
  if (!bytesAt(bytes, at, P_FIELD)) return undefined;
  at += P_FIELD.length;
  let hexEnd = at;
  while (hexEnd < n && hexEnd - at <= 64) {
    const c = bytes[hexEnd] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) break;
    hexEnd++;
  }
  const hexLength = hexEnd - at;
  if (hexLength !== 0 && hexLength !== 64) return undefined;
  if (!bytesAt(bytes, hexEnd, R_FIELD)) return undefined;
  return {
    i,
    p: hexLength === 0 ? -1 : at,
    checkpoint: bytesAt(bytes, hexEnd + R_FIELD.length, CHECKPOINT_MARK),
  };
}

/** Whether `bytes` holds `expected` at `at`. */
function bytesAt(bytes: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > bytes.length) return false;
  for (let j = 0; j < expected.length; j++) if (bytes[at + j] !== expected[j]) return false;
  return true;
}

/**
 * Whether a peeked envelope's `p` names the leaf hash at `at` in `hashes` (the record before it), or is
 * empty when there is no record before it. `p` is lowercase hex (as {@link peek} admits), compared digit
 * by digit without making strings.
 * @internal
 */
export function follows(
  bytes: Buffer,
  envelope: Peeked,
  hashes: Uint8Array | undefined,
  at: number,
): boolean {
  if (hashes === undefined || envelope.p === -1) return hashes === undefined && envelope.p === -1;
  for (let j = 0, c = envelope.p; j < 32; j++, c += 2) {
    if (((hexValue(bytes[c] as number) << 4) | hexValue(bytes[c + 1] as number)) !== hashes[at + j])
      return false;
  }
  return true;
}

/** The value of a lowercase hex digit. */
function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}
