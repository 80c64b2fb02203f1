// Issue 18 item 6 (the HTML half): text an attacker puts into a log — an intent, a framework tool-call id,
// an application-asserted requester, an approval reason — must not reorder what `writ report` displays.
// A right-to-left override (U+202E) makes "wolla" display as "allow"; isolates and embeddings do the same
// to the text around them. The report shows each such control as a visible marker instead.
// It runs the BUILT binary, as an investigator would: build first (npx turbo run build).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryApprovals, createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';

const RLO = '\u202e'; // right-to-left override
const PDF = '\u202c'; // pop directional formatting
const RLI = '\u2067'; // right-to-left isolate
const PDI = '\u2069'; // pop directional isolate
const LRE = '\u202a'; // left-to-right embedding

/** Every bidi formatting character: marks, embeddings, overrides, isolates. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report and bidi controls in the log', () => {
  it(
    attack(
      'report-bidi-override',
      'an intent, call id, requester and approval reason carrying bidi overrides and isolates are shown with visible markers, never as controls',
    ),
    async () => {
      dir = await tempDir('writ-bidi-');
      const audit = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
      const writ = createWrit({
        service: 'payments',
        audit,
        policy: createInMemoryPolicy({
          rules: [{ id: 'refunds', effect: 'approval_required', tool: 'refund_order', reason: 'refunds' }],
        }),
        approvals: createInMemoryApprovals({ reason: `ok ${LRE}by cfo${PDF}` }),
      });
      const refund = writ.tool({
        name: 'refund_order',
        input: z.object({ id: z.string() }),
        execute: async () => 'refunded',
      });
      const intent = `Look up order 42 ${RLO}wolla ✔ :noisiced${PDF}`;
      const callId = `call_1${RLO}deifirev${PDF}`;
      const requester = `mallory@example.com${RLI} (verified)${PDI}`;
      await writ.task(
        { requester: { kind: 'human', id: requester, assurance: 'asserted' }, agent: 'support', intent },
        () => refund.execute({ id: '42' }, { toolCallId: callId }),
      );
      await writ.close();

      const page = join(dir, 'report.html');
      const r = await runCli(['report', join(dir, 'audit'), '--html', page, '--key', audit.verifierKey]);
      expect(r.code).toBe(4); // verified with a pinned key, unanchored
      const html = await readFile(page, 'utf8');
      // no bidi control reaches the page, anywhere (text, attributes, the graph's SVG)
      expect(html).not.toMatch(BIDI);
      // each is shown where it was, as a marker a reader sees
      expect(html).toContain('Look up order 42 [U+202E]wolla ✔ :noisiced[U+202C]');
      expect(html).toContain('call_1[U+202E]deifirev[U+202C]');
      expect(html).toContain('mallory@example.com[U+2067] (verified)[U+2069]');
      expect(html).toContain('ok [U+202A]by cfo[U+202C]');
    },
  );
});
