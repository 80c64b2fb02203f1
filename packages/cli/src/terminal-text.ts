/**
 * Makes untrusted text (anything read from an audit log or a key file) safe to print on a terminal:
 * control characters other than tab and newline (ESC sequences that could recolour, move the cursor,
 * retitle the window or hide lines; carriage returns that could overwrite a line) and Unicode bidi
 * controls (which can reorder what is shown) are replaced by visible escapes such as `\x1b`.
 *
 * @example
 * ```ts
 * safeTerminalText('ok\u001b[2K\rforged'); // 'ok\\x1b[2K\\x0dforged'
 * ```
 */
export function safeTerminalText(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (ch) => {
      const code = ch.charCodeAt(0);
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}
