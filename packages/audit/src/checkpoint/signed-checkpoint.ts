import { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { type NoteSignature, openNote, signNote } from './signed-note.js';
import type { CheckpointSigner, NoteSigner } from './signer-key.js';
import type { NoteVerifier } from './verifier-key.js';

/**
 * Signs a checkpoint as a C2SP signed note: its text (origin, size, base64 root, extension lines) signed
 * by one signer.
 *
 * @example
 * ```ts
 * const note = signCheckpoint({ origin, size: frontier.size, rootHash: frontier.root(), extensions: [] }, signer);
 * ```
 * @internal
 */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), [signer]);
}

/**
 * Signs a checkpoint with a signer that may be asynchronous (a KMS or HSM): its signature line is
 * checked like {@link signCheckpoint} checks a synchronous one.
 *
 * @example
 * ```ts
 * const note = await signCheckpointWith({ origin, size, rootHash: frontier.root(), extensions: [] }, remoteSigner);
 * ```
 * @internal
 */
export async function signCheckpointWith(cp: Checkpoint, signer: CheckpointSigner): Promise<string> {
  const text = formatCheckpoint(cp);
  const line = await signer.sign(text);
  const signed: NoteSigner = {
    name: signer.name,
    keyId: signer.keyId,
    verifierKey: signer.verifierKey,
    sign: () => line,
  };
  return signNote(text, [signed]);
}

/**
 * Opens a signed checkpoint (a C2SP tlog-checkpoint in a C2SP signed note): checks its signatures
 * against `verifiers`, then parses its text strictly. Throws `WRIT_INPUT_INVALID` with `details.reason`
 * when the note is malformed, a known key's signature does not verify (`signature-invalid`), no known key
 * signed it (`no-trusted-signature`), or its text is not a checkpoint. The origin is not compared with
 * the key name: check `origin` against the log you expect.
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
