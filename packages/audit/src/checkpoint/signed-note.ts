import { badSigner, badVerifier, isKeyHolder, keyIdentity } from './key-id.js';
import { parseSignatureLine, type SignatureLine } from './signature-line.js';
import type { NoteSigner } from './signer-key.js';
import { checkNoteText, isNoteText, refuseNote } from './text.js';
import type { NoteVerifier } from './verifier-key.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only: text ending in a newline, a blank
 * line, then signature lines `— <key name> <base64(key id ‖ signature)>`.
 */

/** Most signature lines a note may carry (the limit of the Go reference implementation). */
const MAX_SIGNATURES = 100;

/**
 * One signature line of an opened note.
 *
 * @example
 * ```ts
 * const unknown = openCheckpoint(note, [verifier]).signatures.filter((s: NoteSignature) => !s.verified);
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
 * @internal
 */
export interface OpenedNote {
  /** The signed text, final newline included. */
  text: string;
  signatures: NoteSignature[];
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
 * @internal
 */
export function signNote(text: string, signers: NoteSigner[]): string {
  checkNoteText(text);
  if (!Array.isArray(signers) || signers.length === 0) badSigner('signNote needs at least one signer');
  if (signers.length > MAX_SIGNATURES) badSigner(`a note carries at most ${MAX_SIGNATURES} signatures`);
  const seen = new Set<string>();
  let note = `${text}\n`;
  for (const signer of signers) {
    if (!isKeyHolder(signer, 'sign')) badSigner('each signer must be a NoteSigner (createNoteSigner())');
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
 * @internal
 */
export function openNote(note: string, verifiers: NoteVerifier[]): OpenedNote {
  const known = indexVerifiers(verifiers);
  const { text, lines: parsed } = parseNote(note);
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
      refuseNote('signature-invalid', `the signature by known key ${name}+${keyIdHex} does not verify`, {
        name,
        keyId: keyIdHex,
      });
    }
    trusted++;
    signatures.push({ name, keyId: keyIdHex, verified: true });
  }
  if (trusted === 0) {
    refuseNote('no-trusted-signature', 'the note has no signature by a known key', {
      signatures: signatures.map(({ name, keyId: id }) => `${name}+${id}`),
    });
  }
  return { text, signatures };
}

/**
 * Parses a signed note strictly without checking any signature: its text (final newline included) and
 * its signature lines. Throws `WRIT_INPUT_INVALID` with `details.reason` (`not-text`,
 * `invalid-character`, `missing-separator`, `bad-signature-line`, `missing-final-newline`,
 * `too-many-signatures`) as {@link openNote} does.
 *
 * @example
 * ```ts
 * const { text, lines } = parseNote(note);
 * const names = lines.map((line) => line.name);
 * ```
 * @internal
 */
export function parseNote(note: string): { text: string; lines: SignatureLine[] } {
  if (typeof note !== 'string') refuseNote('not-text', 'a note must be a string');
  if (!isNoteText(note)) {
    refuseNote('invalid-character', 'the note has a control character or invalid UTF-16');
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0) refuseNote('missing-separator', 'no blank line separates the text from its signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '') refuseNote('bad-signature-line', 'the note has no signature lines');
  if (!block.endsWith('\n')) {
    refuseNote('missing-final-newline', 'the last signature line does not end with a newline');
  }
  const raw = block.slice(0, -1).split('\n');
  if (raw.length > MAX_SIGNATURES) {
    refuseNote('too-many-signatures', `the note has more than ${MAX_SIGNATURES} signature lines`);
  }
  const lines = raw.map((line, index) => {
    const signature = parseSignatureLine(line);
    if (signature === undefined) {
      refuseNote('bad-signature-line', `signature line ${index + 1} is malformed`, { line: index + 1 });
    }
    return signature;
  });
  return { text, lines };
}

function indexVerifiers(verifiers: NoteVerifier[]): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers)) badVerifier('not-a-list', 'verifiers must be an array of NoteVerifier');
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    if (!isKeyHolder(verifier, 'verify')) {
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
