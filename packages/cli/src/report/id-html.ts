import { escapeHtml } from './escape-html.js';

/**
 * How {@link idHtml} draws a value: `id` (task, call, token ids: as wide as the cell allows) or `digest`
 * (`sha256:…`: always shortened on screen).
 *
 * @example
 * ```ts
 * const kind: IdKind = 'digest';
 * ```
 */
export type IdKind = 'id' | 'digest';

/** Characters kept at the end of a shortened id: where UUIDv7s of one run differ. */
const TAIL = 6;

/**
 * An id or digest as HTML, shortened without losing it: the whole value is in the page (selecting and
 * copying it, the browser's find and the report's filter see all of it) and in its tooltip, while a narrow
 * cell draws its middle elided (the head shrinks behind an ellipsis, the last six characters stay, since
 * ids minted in one run share their first characters). Printed, the whole value wraps.
 *
 * @example
 * ```ts
 * idHtml('01a24f01-5abd-774d-81d5-f6b5ae43f320');
 * // '<code class="id" title="01a24f01-5abd-774d-81d5-f6b5ae43f320"><span class="id-head">01a24f01-5abd-774d-81d5-f6b5ae</span><span class="id-tail">43f320</span></code>'
 * ```
 */
export function idHtml(value: string, kind: IdKind = 'id'): string {
  const chars = [...value];
  const cls = kind === 'digest' ? 'id digest' : 'id';
  const title = escapeHtml(value);
  if (chars.length <= TAIL * 2) return `<code class="${cls}" title="${title}">${title}</code>`;
  const head = escapeHtml(chars.slice(0, -TAIL).join(''));
  const tail = escapeHtml(chars.slice(-TAIL).join(''));
  return `<code class="${cls}" title="${title}"><span class="id-head">${head}</span><span class="id-tail">${tail}</span></code>`;
}
