const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The Unicode bidirectional formatting characters: the marks (ALM, LRM, RLM), embeddings and overrides
 * (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI). Any of them in a tool name or an intent
 * could reorder how the text around it is displayed.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The visible stand-in for a bidi formatting character: its code point, e.g. `[U+202E]`.
 *
 * @example
 * ```ts
 * bidiMarker('\u202e'); // '[U+202E]'
 * ```
 */
export function bidiMarker(ch: string): string {
  return `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

/**
 * Replaces every bidi formatting character in `text` with its visible {@link bidiMarker}.
 *
 * @example
 * ```ts
 * showBidiControls('a\u2066b'); // 'a[U+2066]b'
 * ```
 */
export function showBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, bidiMarker);
}

/**
 * Escapes text for HTML (and inline SVG) element content and quoted attribute values. Everything read
 * from an audit log is untrusted and goes through this before it reaches a report. C0 control
 * characters other than tab and newline are dropped; bidi formatting characters (overrides, embeddings,
 * isolates, marks) are shown as their code point (`[U+202E]`), so log text cannot reorder what the
 * report displays.
 *
 * @example
 * ```ts
 * escapeHtml('<img src=x onerror=alert(1)>'); // '&lt;img src=x onerror=alert(1)&gt;'
 * escapeHtml('refund\u202eredro'); // 'refund[U+202E]redro'
 * ```
 */
export function escapeHtml(value: unknown): string {
  return (
    String(value)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(BIDI_CONTROLS, bidiMarker)
      .replace(/[&<>"']/g, (ch) => ENTITIES[ch] as string)
  );
}
