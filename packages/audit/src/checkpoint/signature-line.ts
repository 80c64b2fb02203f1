import { decodeBase64, isKeyName } from './text.js';

/**
 * One signature line of a C2SP signed note: `— <key name> <base64(key id ‖ signature)>`.
 */

/** U+2014 EM DASH and a space: how every signature line starts. */
const SIGNATURE_PREFIX = '\u2014 ';

/**
 * A parsed signature line.
 *
 * @example
 * ```ts
 * const line: SignatureLine | undefined = parseSignatureLine('— PeterNeumann x08go/ZJ…');
 * ```
 * @internal
 */
export interface SignatureLine {
  name: string;
  /** The 4-byte key id. */
  keyId: Buffer;
  signature: Buffer;
}

/**
 * The signature line of `signature` by key `name` with id `keyId`, newline included.
 *
 * @example
 * ```ts
 * formatSignatureLine('PeterNeumann', id, signature); // '— PeterNeumann x08go/ZJ…\n'
 * ```
 * @internal
 */
export function formatSignatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  return `${SIGNATURE_PREFIX}${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
}

/**
 * Parses one signature line (without its newline) strictly, or `undefined` when it is malformed: a
 * wrong prefix, a bad key name, base64 that is not standard and padded, or fewer than 5 bytes.
 *
 * @example
 * ```ts
 * const parsed = parseSignatureLine(line.slice(0, -1));
 * if (parsed === undefined) throw new Error('not a signature line');
 * ```
 * @internal
 */
export function parseSignatureLine(line: string): SignatureLine | undefined {
  if (!line.startsWith(SIGNATURE_PREFIX)) return undefined;
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const name = rest.slice(0, space);
  const bytes = decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || bytes === undefined || bytes.length < 5) return undefined;
  return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
}
