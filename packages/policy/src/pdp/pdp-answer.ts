/**
 * Whether a value from a PDP's (untrusted) JSON answer is a JSON object: not `null`, not an array.
 *
 * @internal
 * @example
 * ```ts
 * if (!isJsonObject(response.json)) throw pdpUnavailable('the PDP did not answer a JSON object', { reason: 'invalid_response' });
 * ```
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A text from a PDP's answer cut to at most `max` characters, the last one an ellipsis when cut, so what
 * a PDP says cannot flood a decision record or an error.
 *
 * @internal
 * @example
 * ```ts
 * clip('x'.repeat(300), 200).length; // 200, ending with '…'
 * ```
 */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
