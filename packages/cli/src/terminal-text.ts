/**
 * The one place where text the CLI did not write itself (anything read from an audit log, a policy file,
 * a key directory, an error message that quotes them) is made safe to print on a terminal.
 */

/** Control characters with a short conventional escape. */
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// C0 controls (line feed, carriage return and tab included), DEL, C1 controls, the line and paragraph
// separators, and the Unicode bidi controls: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes untrusted text safe to print on a terminal: every character that could forge a line (line feed,
 * carriage return, the Unicode line and paragraph separators), recolour or move the cursor (ESC and the
 * other C0 controls, DEL, the C1 controls such as CSI `\x9b`), or reorder what is shown (the bidi
 * controls U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069) is shown as a visible escape (`\n`,
 * `\r`, `\t`, `\x1b`, `\u202e`) and never interpreted. Everything else, emoji and accents included, is
 * kept. Backslashes are kept as they are: the result is for reading, not for parsing back (`--json`
 * keeps the raw text).
 *
 * @example
 * ```ts
 * safeTerminalText('Refund 42\n✔ allow\u001b[32m'); // 'Refund 42\\n✔ allow\\x1b[32m'
 * safeTerminalText('a\u202eb'); // 'a\\u202eb'
 * ```
 */
export function safeTerminalText(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const short = SHORT[ch];
    if (short !== undefined) return short;
    const code = ch.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
