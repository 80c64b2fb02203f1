export { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
export { openCheckpoint, signCheckpoint } from './signed-checkpoint.js';
export { type NoteSignature, type OpenedNote, openNote, signNote } from './signed-note.js';
export { createNoteSigner, generateNoteKeys, type NoteSigner } from './signer-key.js';
export { type NoteVerifier, parseVerifierKey } from './verifier-key.js';
