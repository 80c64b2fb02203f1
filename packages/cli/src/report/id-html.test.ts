import { describe, expect, it } from 'vitest';
import { idHtml } from './id-html.js';

describe('idHtml', () => {
  it('keeps the whole id in the page and its tooltip; only the drawing of its middle is elided', () => {
    const id = '01a24f04-4ac7-7402-9581-a544914aeedb';
    const html = idHtml(id);
    expect(html).toBe(
      `<code class="id" title="${id}"><span class="id-head">01a24f04-4ac7-7402-9581-a54491</span><span class="id-tail">4aeedb</span></code>`,
    );
    expect(html.replace(/<[^>]+>/g, '')).toBe(id);
    expect(idHtml('call-1')).toBe('<code class="id" title="call-1">call-1</code>');
    expect(idHtml(`sha256:${'0'.repeat(64)}`, 'digest')).toMatch(/^<code class="id digest" /);
    expect(idHtml('"><b>x</b>')).not.toContain('<b>');
  });
});
