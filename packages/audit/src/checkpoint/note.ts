import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as signBytes,
  verify as verifyBytes,
} from 'node:crypto';
import { WritError } from '@writ/core';
import { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { decodeBase64, isKeyName, isNoteText } from './text.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only: text ending in a newline, a blank
 * line, then signature lines `— <key name> <base64(key id ‖ signature)>`. The key id is the first four
 * bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
 */

/** Signature type byte of Ed25519 in C2SP signed notes. */
const ED25519 = 0x01;
/** U+2014 EM DASH and a space: how every signature line starts. */
const SIGNATURE_PREFIX = '\u2014 ';
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
/** Most signature lines a note may carry (the limit of the Go reference implementation). */
const MAX_SIGNATURES = 100;
const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;
// RFC 8410 DER wrappers for a raw Ed25519 seed (PKCS #8) and public key (SPKI)
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Signs note text under one C2SP key name. Create with {@link createNoteSigner}.
 *
 * @example
 * ```ts
 * const signer: NoteSigner = createNoteSigner(signerKey);
 * signer.sign('hello\n'); // '— example.com/log <base64(key id ‖ signature)>\n'
 * ```
 */
export interface NoteSigner {
  /** The key name in signature lines (for checkpoints, usually the log's origin). */
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Buffer;
  /** The C2SP verifier key `<name>+<hex key id>+<base64(0x01 ‖ public key)>` to hand to verifiers. */
  readonly verifierKey: string;
  /** Signs note text (ending in a newline) and returns the signature line, newline included. */
  sign(text: string): string;
}

/**
 * Checks signatures by one key. Create with {@link parseVerifierKey}.
 *
 * @example
 * ```ts
 * const verifier: NoteVerifier = parseVerifierKey(pinnedVerifierKey);
 * openNote(note, [verifier]);
 * ```
 */
export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Buffer;
  /** True when `signature` (the bytes after the 4-byte key id) signs `text`; never throws. */
  verify(text: string, signature: Uint8Array): boolean;
}

/**
 * One signature line of an opened note.
 *
 * @example
 * ```ts
 * const unknown = openNote(note, [verifier]).signatures.filter((s: NoteSignature) => !s.verified);
 * ```
 */
export interface NoteSignature {
  name: string;
  /** The key id, 8 lowercase hex digits. */
  keyId: string;
  /** True when made by one of the given verifiers; false for a key the caller does not know. */
  verified: boolean;
}

/**
 * A note whose signatures were checked by {@link openNote}.
 *
 * @example
 * ```ts
 * const { text, signatures }: OpenedNote = openNote(note, [verifier]);
 * ```
 */
export interface OpenedNote {
  /** The signed text, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

/**
 * Generates an Ed25519 note key. The signer key (`PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`,
 * the format of Go's `golang.org/x/mod/sumdb/note`) is a secret: store it like one. Throws
 * `WRIT_OPTIONS_INVALID` for a name that is empty or has a space or `+`.
 *
 * @example
 * ```ts
 * const { signerKey, verifierKey } = generateNoteKeys('example.com/audit');
 * await writeFile(keyFile, signerKey, { mode: 0o600 });
 * console.log('verify with', verifierKey); // 'example.com/audit+1a2b3c4d+AQ…'
 * ```
 */
export function generateNoteKeys(name: string): { signerKey: string; verifierKey: string } {
  checkName('generateNoteKeys', name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = rawSeed(privateKey);
  const raw = rawPublicKey(publicKey);
  const id = keyId(name, raw);
  const typed = Buffer.concat([Buffer.of(ED25519), seed]);
  const signerKey = `${SIGNER_KEY_PREFIX}${name}+${id.toString('hex')}+${typed.toString('base64')}`;
  typed.fill(0);
  seed.fill(0);
  return { signerKey, verifierKey: formatVerifierKey(name, id, raw) };
}

/**
 * Creates a signer from a C2SP signer key string or from a name and an Ed25519 private `KeyObject`.
 * Throws `WRIT_OPTIONS_INVALID` for a malformed key, a key id that does not match the key, or a key that
 * is not Ed25519; the message never contains key material.
 *
 * @example
 * ```ts
 * const signer = createNoteSigner(await readFile(keyFile, 'utf8').then((s) => s.trim()));
 * const note = signNote('hello\n', [signer]);
 * ```
 */
export function createNoteSigner(key: string | { name: string; privateKey: KeyObject }): NoteSigner {
  let name: string;
  let privateKey: KeyObject;
  if (typeof key === 'string') {
    ({ name, privateKey } = parseSignerKey(key));
  } else {
    if (typeof key !== 'object' || key === null) {
      badSigner('expected a signer key string or { name, privateKey }');
    }
    checkName('createNoteSigner', key.name);
    if (
      !(key.privateKey instanceof KeyObject) ||
      key.privateKey.type !== 'private' ||
      key.privateKey.asymmetricKeyType !== 'ed25519'
    ) {
      badSigner('privateKey must be an Ed25519 private KeyObject');
    }
    name = key.name;
    privateKey = key.privateKey;
  }
  const raw = rawPublicKey(createPublicKey(privateKey));
  const id = keyId(name, raw);
  const linePrefix = `${SIGNATURE_PREFIX}${name} `;
  return Object.freeze({
    name,
    keyId: Buffer.from(id),
    verifierKey: formatVerifierKey(name, id, raw),
    sign(text: string): string {
      checkText(text);
      const signature = signBytes(null, Buffer.from(text, 'utf8'), privateKey);
      return `${linePrefix}${Buffer.concat([id, signature]).toString('base64')}\n`;
    },
  });
}

/**
 * Parses a C2SP verifier key `<name>+<hex key id>+<base64(0x01 ‖ 32-byte public key)>`. Throws
 * `WRIT_OPTIONS_INVALID` when it is malformed, not Ed25519, or its key id does not match the name and key.
 *
 * @example
 * ```ts
 * const verifier = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
 * const { text } = openNote(note, [verifier]);
 * ```
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string') badVerifier('not-text', 'must be a string');
  const [name, idHex, encoded] = splitKey(vkey, 3);
  if (name === undefined || idHex === undefined || encoded === undefined) {
    badVerifier('malformed', 'expected <name>+<hex key id>+<base64 key>');
  }
  if (!isKeyName(name)) {
    badVerifier('bad-name', 'the key name is empty or has a space, "+" or control character');
  }
  if (!KEY_ID_HEX.test(idHex)) badVerifier('bad-key-id', 'the key id must be 8 hex digits');
  const typed = decodeBase64(encoded);
  if (typed === undefined || typed.length === 0) badVerifier('bad-key', 'the key is not standard base64');
  if (typed[0] !== ED25519) {
    badVerifier('unsupported-algorithm', 'only Ed25519 (type 0x01) keys are supported');
  }
  if (typed.length !== 33) badVerifier('bad-key', 'an Ed25519 key is 32 bytes');
  const raw = typed.subarray(1);
  const id = keyId(name, raw);
  if (id.toString('hex') !== idHex.toLowerCase()) {
    badVerifier('key-id-mismatch', 'the key id does not match the name and public key');
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'parseVerifierKey: not a valid Ed25519 public key', {
      cause,
      details: { reason: 'bad-key' },
    });
  }
  return Object.freeze({
    name,
    keyId: id,
    verify(text: string, signature: Uint8Array): boolean {
      if (typeof text !== 'string' || !(signature instanceof Uint8Array) || signature.length !== 64) {
        return false;
      }
      try {
        return verifyBytes(null, Buffer.from(text, 'utf8'), publicKey, signature);
      } catch {
        return false;
      }
    },
  });
}

/**
 * Signs note text with one or more signers: the text (which must end in a newline and have no control
 * character but newline), a blank line, then one signature line per signer. Bad text throws
 * `WRIT_INPUT_INVALID`; no signers, a signer listed twice, or a signer returning a malformed line throws
 * `WRIT_OPTIONS_INVALID`.
 *
 * @example
 * ```ts
 * const note = signNote('example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', [signer]);
 * ```
 */
export function signNote(text: string, signers: NoteSigner[]): string {
  checkText(text);
  if (!Array.isArray(signers) || signers.length === 0) badSigner('signNote needs at least one signer');
  if (signers.length > MAX_SIGNATURES) badSigner(`a note carries at most ${MAX_SIGNATURES} signatures`);
  const seen = new Set<string>();
  let note = `${text}\n`;
  for (const signer of signers) {
    if (
      typeof signer !== 'object' ||
      signer === null ||
      !isKeyName(signer.name) ||
      !(signer.keyId instanceof Uint8Array) ||
      signer.keyId.length !== 4 ||
      typeof signer.sign !== 'function'
    ) {
      badSigner('each signer must be a NoteSigner (createNoteSigner())');
    }
    const identity = keyIdentity(signer.name, signer.keyId);
    if (seen.has(identity)) badSigner(`signer ${signer.name} is listed twice`);
    seen.add(identity);
    const line = signer.sign(text);
    const parsed =
      typeof line === 'string' && line.endsWith('\n') ? parseSignatureLine(line.slice(0, -1)) : undefined;
    if (
      parsed === undefined ||
      parsed.name !== signer.name ||
      keyIdentity(parsed.name, parsed.keyId) !== identity
    ) {
      badSigner(`signer ${signer.name} returned a malformed signature line`);
    }
    note += line;
  }
  return note;
}

/**
 * Opens a signed note: parses it strictly and checks every signature by a known key. Signatures by
 * keys not in `verifiers` (same name and key id) are listed with `verified: false` and otherwise ignored.
 * Throws `WRIT_INPUT_INVALID` with `details.reason`:
 * - `invalid-character`, `missing-final-newline`, `missing-separator`, `bad-signature-line`,
 *   `too-many-signatures` (over 100): the note is malformed;
 * - `signature-invalid`: a signature line names a known key but does not verify;
 * - `no-trusted-signature`: no signature by a known key.
 * A `verifiers` list that is not an array of verifiers, or names one key twice, throws
 * `WRIT_OPTIONS_INVALID`.
 *
 * @example
 * ```ts
 * const { text, signatures } = openNote(note, [parseVerifierKey(pinnedKey)]);
 * ```
 */
export function openNote(note: string, verifiers: NoteVerifier[]): OpenedNote {
  const known = indexVerifiers(verifiers);
  if (typeof note !== 'string') refuse('not-text', 'a note must be a string');
  if (!isNoteText(note)) refuse('invalid-character', 'the note has a control character or invalid UTF-16');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) refuse('missing-separator', 'no blank line separates the text from its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '') refuse('bad-signature-line', 'the note has no signature lines');
  if (!block.endsWith('\n')) {
    refuse('missing-final-newline', 'the last signature line does not end with a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    refuse('too-many-signatures', `the note has more than ${MAX_SIGNATURES} signature lines`);
  }
  const parsed = lines.map((line, index) => {
    const signature = parseSignatureLine(line);
    if (signature === undefined) {
      refuse('bad-signature-line', `signature line ${index + 1} is malformed`, { line: index + 1 });
    }
    return signature;
  });
  const signatures: NoteSignature[] = [];
  let trusted = 0;
  for (const { name, keyId: id, signature } of parsed) {
    const keyIdHex = id.toString('hex');
    const verifier = known.get(keyIdentity(name, id));
    if (verifier === undefined) {
      signatures.push({ name, keyId: keyIdHex, verified: false });
      continue;
    }
    let valid = false;
    try {
      valid = verifier.verify(text, signature) === true;
    } catch {
      // a verifier that throws has not verified anything
    }
    if (!valid) {
      refuse('signature-invalid', `the signature by known key ${name}+${keyIdHex} does not verify`, {
        name,
        keyId: keyIdHex,
      });
    }
    trusted++;
    signatures.push({ name, keyId: keyIdHex, verified: true });
  }
  if (trusted === 0) {
    refuse('no-trusted-signature', 'the note has no signature by a known key', {
      signatures: signatures.map(({ name, keyId: id }) => `${name}+${id}`),
    });
  }
  return { text, signatures };
}

/**
 * Signs a checkpoint as a C2SP signed note (see {@link formatCheckpoint} and {@link signNote}).
 *
 * @example
 * ```ts
 * const note = signCheckpoint({ origin, size: frontier.size, rootHash: frontier.root(), extensions: [] }, signer);
 * ```
 */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), [signer]);
}

/**
 * Opens a signed checkpoint: {@link openNote}, then {@link parseCheckpoint} on its text. Throws
 * `WRIT_INPUT_INVALID` as those do. The origin is not compared with the key name: check `origin`
 * against the log you expect.
 *
 * @example
 * ```ts
 * const cp = openCheckpoint(note, [parseVerifierKey(pinnedKey)]);
 * if (cp.origin !== 'example.com/log') throw new Error('checkpoint for another log');
 * ```
 */
export function openCheckpoint(
  note: string,
  verifiers: NoteVerifier[],
): Checkpoint & { signatures: NoteSignature[] } {
  const opened = openNote(note, verifiers);
  return { ...parseCheckpoint(opened.text), signatures: opened.signatures };
}

interface SignatureLine {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

function parseSignatureLine(line: string): SignatureLine | undefined {
  if (!line.startsWith(SIGNATURE_PREFIX)) return undefined;
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const name = rest.slice(0, space);
  const bytes = decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || bytes === undefined || bytes.length < 5) return undefined;
  return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
}

function indexVerifiers(verifiers: NoteVerifier[]): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers)) badVerifier('not-a-list', 'verifiers must be an array of NoteVerifier');
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    if (
      typeof verifier !== 'object' ||
      verifier === null ||
      !isKeyName(verifier.name) ||
      !(verifier.keyId instanceof Uint8Array) ||
      verifier.keyId.length !== 4 ||
      typeof verifier.verify !== 'function'
    ) {
      badVerifier('not-a-verifier', 'each verifier must be a NoteVerifier (parseVerifierKey())');
    }
    const identity = keyIdentity(verifier.name, verifier.keyId);
    if (known.has(identity)) {
      badVerifier('ambiguous-key', `two verifiers share the key name and id ${verifier.name}`);
    }
    known.set(identity, verifier);
  }
  return known;
}

function parseSignerKey(key: string): { name: string; privateKey: KeyObject } {
  if (!key.startsWith(SIGNER_KEY_PREFIX)) badSigner('a signer key starts with PRIVATE+KEY+');
  const [name, idHex, encoded] = splitKey(key.slice(SIGNER_KEY_PREFIX.length), 3);
  if (name === undefined || idHex === undefined || encoded === undefined) {
    badSigner('expected PRIVATE+KEY+<name>+<hex key id>+<base64 key>');
  }
  if (!isKeyName(name)) badSigner('the key name is empty or has a space, "+" or control character');
  if (!KEY_ID_HEX.test(idHex)) badSigner('the key id must be 8 hex digits');
  const typed = decodeBase64(encoded);
  if (typed === undefined || typed.length === 0) badSigner('the key is not standard base64');
  if (typed[0] !== ED25519) badSigner('only Ed25519 (type 0x01) keys are supported');
  if (typed.length !== 33) badSigner('an Ed25519 signer key holds a 32-byte seed');
  const der = Buffer.concat([PKCS8_ED25519, typed.subarray(1)]);
  typed.fill(0);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    badSigner('not a valid Ed25519 seed');
  } finally {
    der.fill(0);
  }
  if (keyId(name, rawPublicKey(createPublicKey(privateKey))).toString('hex') !== idHex.toLowerCase()) {
    badSigner('the key id does not match the name and key');
  }
  return { name, privateKey };
}

/** Splits `<a>+<b>+<rest>` at the first `parts - 1` plus signs (base64 may itself contain `+`). */
function splitKey(text: string, parts: number): (string | undefined)[] {
  const out: string[] = [];
  let rest = text;
  for (let i = 1; i < parts; i++) {
    const plus = rest.indexOf('+');
    if (plus < 0) return [];
    out.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  out.push(rest);
  return out;
}

/** key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4] */
function keyId(name: string, rawKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.of(0x0a, ED25519))
    .update(rawKey)
    .digest()
    .subarray(0, 4);
}

function formatVerifierKey(name: string, id: Uint8Array, rawKey: Uint8Array): string {
  return `${name}+${Buffer.from(id).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), rawKey]).toString('base64')}`;
}

function keyIdentity(name: string, id: Uint8Array): string {
  return `${name}+${Buffer.from(id).toString('hex')}`;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  // an Ed25519 SPKI is a fixed 12-byte header followed by the 32-byte key
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

function rawSeed(privateKey: KeyObject): Buffer {
  return privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
}

function checkName(fn: string, name: unknown): asserts name is string {
  if (!isKeyName(name)) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: the key name must be non-empty, without spaces, "+" or control characters`,
      { details: { reason: 'bad-name' } },
    );
  }
}

function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string') refuse('not-text', 'note text must be a string');
  if (!text.endsWith('\n')) refuse('missing-final-newline', 'note text must end with a newline');
  if (!isNoteText(text)) refuse('invalid-character', 'note text has a control character or invalid UTF-16');
}

function refuse(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new WritError('WRIT_INPUT_INVALID', `signed note refused: ${message}`, {
    details: { reason, ...details },
  });
}

function badSigner(message: string): never {
  throw new WritError('WRIT_OPTIONS_INVALID', `note signer: ${message}`, {
    details: { reason: 'bad-signer' },
  });
}

function badVerifier(reason: string, message: string): never {
  throw new WritError('WRIT_OPTIONS_INVALID', `note verifier: ${message}`, { details: { reason } });
}
