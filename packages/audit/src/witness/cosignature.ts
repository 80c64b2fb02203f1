import { createPublicKey, type KeyObject, sign as signBytes, verify as verifyBytes } from 'node:crypto';
import { WritError } from '@writ/core';
import { type Checkpoint, parseCheckpoint } from '../checkpoint/checkpoint.js';
import {
  badVerifier,
  ED25519_COSIGNATURE,
  formatVerifierKey,
  keyId,
  keyIdentity,
  rawPublicKey,
} from '../checkpoint/key-id.js';
import { formatSignatureLine } from '../checkpoint/signature-line.js';
import { parseNote } from '../checkpoint/signed-note.js';
import { checkName, generateTypedKeys, parseSignerKey } from '../checkpoint/signer-key.js';
import { checkNoteText } from '../checkpoint/text.js';
import { parseTypedVerifierKey } from '../checkpoint/verifier-key.js';

/**
 * C2SP `tlog-cosignature` (https://c2sp.org/tlog-cosignature), Ed25519 `cosignature/v1` only: a witness
 * signs `cosignature/v1\ntime <t>\n` followed by the checkpoint text; its signature line carries
 * `key id (4) ‖ timestamp (u64 big-endian) ‖ Ed25519 signature (64)`; its key id is
 * SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4] and its verifier key `<name>+<hex id>+<base64(0x04 ‖ key)>`.
 */

const LARGEST_TIMESTAMP = 2n ** 63n - 1n;
/** A cosignature this far ahead of the verifier's clock is refused, seconds. */
const FUTURE_SKEW_SECONDS = 300;

/**
 * A witness's signing key in memory: cosigns checkpoints. Create with {@link createCosigner}.
 *
 * @example
 * ```ts
 * const cosigner: Cosigner = createCosigner(witnessSignerKey);
 * const line = cosigner.cosign(checkpointText); // '— witness.example/w1 <base64>\n'
 * ```
 */
export interface Cosigner {
  /** The witness's key name (a schema-less URL that names it, by convention). */
  readonly name: string;
  /** The 4-byte key id (computed with type 0x04). */
  readonly keyId: Buffer;
  /** The verifier key `<name>+<hex key id>+<base64(0x04 ‖ public key)>` to hand to verifiers. */
  readonly verifierKey: string;
  /**
   * The `cosignature/v1` signature line (newline included) over checkpoint `text` (the note body,
   * final newline included, no signature lines), timestamped `time` (POSIX seconds; default now).
   */
  cosign(text: string, time?: number): string;
}

/**
 * Checks `cosignature/v1` signatures by one witness key. Create with {@link parseCosignatureKey}.
 *
 * @example
 * ```ts
 * const witness: CosignatureVerifier = parseCosignatureKey('witness.example/w1+1c2d3e4f+BK…');
 * ```
 */
export interface CosignatureVerifier {
  readonly name: string;
  /** The 4-byte key id (computed with type 0x04). */
  readonly keyId: Buffer;
  readonly verifierKey: string;
  /**
   * The cosignature's timestamp (POSIX seconds) when `signature` (the bytes after the key id) is a valid
   * `cosignature/v1` by this key over checkpoint `text`; `undefined` otherwise. Never throws.
   */
  verify(text: string, signature: Uint8Array): number | undefined;
}

/**
 * One valid cosignature found on a checkpoint.
 *
 * @example
 * ```ts
 * const { name, timestamp }: Cosignature = result.cosignatures[0];
 * console.log(`${name} saw it at ${new Date(timestamp * 1000).toISOString()}`);
 * ```
 */
export interface Cosignature {
  /** The witness's key name. */
  readonly name: string;
  /** Its key id, 8 lowercase hex digits. */
  readonly keyId: string;
  /** When the witness cosigned, POSIX seconds. */
  readonly timestamp: number;
}

/**
 * What {@link verifyCosignatures} found on a checkpoint note.
 *
 * @example
 * ```ts
 * const { ok, checkpoint, cosignatures }: CosignatureResult = verifyCosignatures(note, keys, { threshold: 2 });
 * ```
 */
export interface CosignatureResult {
  /** At least `threshold` distinct given witness keys cosigned the checkpoint. */
  readonly ok: boolean;
  readonly threshold: number;
  /** The checkpoint the note carries (its log signature is not checked here: use `openCheckpoint`). */
  readonly checkpoint: Checkpoint;
  /** One per given witness key whose cosignature verified (the newest, when a key cosigned twice). */
  readonly cosignatures: readonly Cosignature[];
}

/**
 * Generates an Ed25519 witness key: the signer key `PRIVATE+KEY+<name>+<hex id>+<base64(0x04 ‖ seed)>`
 * (a secret: store it like one) and the verifier key `<name>+<hex id>+<base64(0x04 ‖ public key)>` that
 * logs and verifiers are configured with. Throws `WRIT_OPTIONS_INVALID` for a name that is empty or has
 * a space or `+`.
 *
 * @example
 * ```ts
 * const { signerKey, verifierKey } = generateWitnessKeys('witness.example/w1');
 * await writeFile('witness.key', signerKey, { mode: 0o600 });
 * console.log('witness key:', verifierKey);
 * ```
 */
export function generateWitnessKeys(name: string): { signerKey: string; verifierKey: string } {
  checkName('generateWitnessKeys', name);
  return generateTypedKeys(name, ED25519_COSIGNATURE);
}

/**
 * Creates a cosigner from a witness signer key (see {@link generateWitnessKeys}) or a name and an
 * Ed25519 private `KeyObject`. `clock` (ms since the epoch) dates its cosignatures. Throws
 * `WRIT_OPTIONS_INVALID` for a malformed key; the message never contains key material.
 *
 * @example
 * ```ts
 * const cosigner = createCosigner((await readFile('witness.key', 'utf8')).trim());
 * const note = checkpointNote + cosigner.cosign(checkpointText);
 * ```
 */
export function createCosigner(
  key: string | { name: string; privateKey: KeyObject },
  options: { clock?: () => number } = {},
): Cosigner {
  let name: string;
  let privateKey: KeyObject;
  if (typeof key === 'string') ({ name, privateKey } = parseSignerKey(key, ED25519_COSIGNATURE));
  else {
    checkName('createCosigner', key?.name);
    if (key.privateKey?.type !== 'private' || key.privateKey.asymmetricKeyType !== 'ed25519') {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        'createCosigner: privateKey must be an Ed25519 private KeyObject',
        {
          details: { reason: 'bad-signer' },
        },
      );
    }
    ({ name, privateKey } = key);
  }
  const clock = options.clock ?? Date.now;
  const raw = rawPublicKey(createPublicKey(privateKey));
  const id = keyId(name, raw, ED25519_COSIGNATURE);
  return Object.freeze({
    name,
    keyId: Buffer.from(id),
    verifierKey: formatVerifierKey(name, id, raw, ED25519_COSIGNATURE),
    cosign(text: string, time?: number): string {
      checkNoteText(text);
      const t = time ?? Math.floor(clock() / 1000);
      if (!Number.isSafeInteger(t) || t < 0) {
        throw new WritError('WRIT_OPTIONS_INVALID', 'cosign: time must be a non-negative integer (seconds)');
      }
      const stamp = Buffer.alloc(8);
      stamp.writeBigUInt64BE(BigInt(t));
      const signature = signBytes(null, cosignatureMessage(text, t), privateKey);
      return formatSignatureLine(name, id, Buffer.concat([stamp, signature]));
    },
  });
}

/**
 * Parses a witness verifier key `<name>+<hex key id>+<base64(0x04 ‖ 32-byte Ed25519 public key)>`
 * (C2SP signed-note vkey of a `cosignature/v1` key), checking its key id. Throws `WRIT_OPTIONS_INVALID`
 * with `details.reason` (`malformed`, `bad-name`, `bad-key-id`, `bad-key`, `unsupported-algorithm`,
 * `key-id-mismatch`).
 *
 * @example
 * ```ts
 * const witness = parseCosignatureKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2');
 * witness.keyId.toString('hex'); // 'da77ade7'
 * ```
 */
export function parseCosignatureKey(vkey: string): CosignatureVerifier {
  const { name, id, raw, publicKey } = parseTypedVerifierKey(vkey, ED25519_COSIGNATURE);
  return Object.freeze({
    name,
    keyId: id,
    verifierKey: formatVerifierKey(name, id, raw, ED25519_COSIGNATURE),
    verify(text: string, signature: Uint8Array): number | undefined {
      if (typeof text !== 'string' || !(signature instanceof Uint8Array) || signature.length !== 72) {
        return undefined;
      }
      const stamp = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
      if (stamp > LARGEST_TIMESTAMP || stamp > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      const t = Number(stamp);
      try {
        return verifyBytes(null, cosignatureMessage(text, t), publicKey, signature.subarray(8))
          ? t
          : undefined;
      } catch {
        return undefined;
      }
    },
  });
}

/**
 * Checks the `cosignature/v1` lines of a checkpoint note against witness keys: counts the distinct given
 * keys whose cosignature verifies over the note's checkpoint text (lines by other keys are ignored, as
 * C2SP requires) and says whether they reach `threshold` (default: all the keys). A cosignature by a
 * given key that does not verify, or dated more than 5 minutes after `now`, is not counted. The log's
 * own signature is not checked here: open the note with `openCheckpoint` and the log's key too. Throws
 * `WRIT_INPUT_INVALID` for a malformed note or checkpoint, `WRIT_OPTIONS_INVALID` for bad keys or a
 * threshold outside 1..keys.
 *
 * @example
 * ```ts
 * const cp = openCheckpoint(note, [parseVerifierKey(logKey)]);
 * const { ok, cosignatures } = verifyCosignatures(note, [witnessA, witnessB, witnessC], { threshold: 2 });
 * if (!ok) throw new Error(`only ${cosignatures.length} of the 2 witnesses needed cosigned ${cp.origin}@${cp.size}`);
 * ```
 */
export function verifyCosignatures(
  note: string,
  keys: readonly (string | CosignatureVerifier)[],
  options: { threshold?: number; now?: number } = {},
): CosignatureResult {
  const { verifiers, threshold } = witnessThreshold(keys, options.threshold);
  const { text, lines } = parseNote(note);
  const checkpoint = parseCheckpoint(text);
  const latest = Math.floor((options.now ?? Date.now()) / 1000) + FUTURE_SKEW_SECONDS;
  const found = new Map<string, Cosignature>();
  for (const line of lines) {
    const identity = keyIdentity(line.name, line.keyId);
    const verifier = verifiers.get(identity);
    if (verifier === undefined) continue;
    const timestamp = verifier.verify(text, line.signature);
    if (timestamp === undefined || timestamp > latest) continue;
    const seen = found.get(identity);
    if (seen === undefined || seen.timestamp < timestamp) {
      found.set(identity, { name: line.name, keyId: line.keyId.toString('hex'), timestamp });
    }
  }
  const cosignatures = [...found.values()];
  return { ok: cosignatures.length >= threshold, threshold, checkpoint, cosignatures };
}

/**
 * The witness verifiers of `keys` and the threshold (default: all of them). Throws
 * `WRIT_OPTIONS_INVALID` for a bad key, a key listed twice, or a threshold outside 1..keys.
 *
 * @example
 * ```ts
 * const { verifiers, threshold } = witnessThreshold(keys, 2);
 * ```
 * @internal
 */
export function witnessThreshold(
  keys: readonly (string | CosignatureVerifier)[],
  wanted: number | undefined,
): { verifiers: Map<string, CosignatureVerifier>; threshold: number } {
  const verifiers = indexWitnesses(keys);
  const threshold = wanted ?? verifiers.size;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > verifiers.size) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `witness threshold must be an integer from 1 to the ${verifiers.size} witness key(s) given`,
      { details: { reason: 'bad-threshold' } },
    );
  }
  return { verifiers, threshold };
}

/** `cosignature/v1\ntime <t>\n` followed by the checkpoint text. */
function cosignatureMessage(text: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
}

function indexWitnesses(keys: readonly (string | CosignatureVerifier)[]): Map<string, CosignatureVerifier> {
  if (!Array.isArray(keys) || keys.length === 0) {
    badVerifier('not-a-list', 'witness keys must be a non-empty array');
  }
  const out = new Map<string, CosignatureVerifier>();
  for (const key of keys) {
    const verifier = typeof key === 'string' ? parseCosignatureKey(key) : key;
    if (typeof verifier?.verify !== 'function' || !(verifier.keyId instanceof Uint8Array)) {
      badVerifier('not-a-verifier', 'each witness key must be a vkey string or parseCosignatureKey()');
    }
    const identity = keyIdentity(verifier.name, verifier.keyId);
    if (out.has(identity)) badVerifier('ambiguous-key', `witness key ${verifier.name} is listed twice`);
    out.set(identity, verifier);
  }
  return out;
}
