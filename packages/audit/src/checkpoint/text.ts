import { WritError } from '@writ/core';

/**
 * Shared text rules of C2SP signed notes and checkpoints. Internal to `checkpoint/`.
 * @internal
 */

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Unicode spaces (JavaScript `\s` plus NEL, which Go's `unicode.IsSpace` also counts) and `+`. */
const NAME_FORBIDDEN = /[\s\u0085+]/u;

/**
 * Decodes standard (RFC 4648 §4) padded base64, refusing anything a strict decoder would: other
 * alphabets, missing padding, whitespace, non-zero padding bits. Returns `undefined` when malformed.
 * @internal
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * True when `text` encodes to valid UTF-8 (no lone surrogates) and has no ASCII control character other
 * than newline: the character rule of C2SP signed notes.
 * @internal
 */
export function isNoteText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20) {
      if (code !== 0x0a) return false;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // a high surrogate must be followed by a low one; a low one must not stand alone
      if (code > 0xdbff) return false;
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/**
 * C2SP key names: non-empty, valid UTF-8, no Unicode space, no `+` (and, being note text, no control
 * character).
 * @internal
 */
export function isKeyName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && isNoteText(name) && !NAME_FORBIDDEN.test(name);
}

/**
 * Throws `WRIT_INPUT_INVALID` ("signed note refused: …") with `details.reason` and any other details.
 * @internal
 */
export function refuseNote(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new WritError('WRIT_INPUT_INVALID', `signed note refused: ${message}`, {
    details: { reason, ...details },
  });
}

/**
 * Throws `WRIT_INPUT_INVALID` unless `text` can be signed: a string ending in a newline, of note text.
 * @internal
 */
export function checkNoteText(text: unknown): asserts text is string {
  if (typeof text !== 'string') refuseNote('not-text', 'note text must be a string');
  if (!text.endsWith('\n')) refuseNote('missing-final-newline', 'note text must end with a newline');
  if (!isNoteText(text)) {
    refuseNote('invalid-character', 'note text has a control character or invalid UTF-16');
  }
}
