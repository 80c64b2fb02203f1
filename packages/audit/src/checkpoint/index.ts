export { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
export {
  createNoteSigner,
  generateNoteKeys,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
} from './note.js';
