// Issue 18 item 6: text an attacker controls (what a user typed as the intent, a framework's tool-call id,
// a requester id an identity provider vouched for, an approver's id, a policy id, a key file's name)
// reaches an investigator's terminal through the CLI. None of it may forge a line, colour a line or move
// the cursor: control characters, line breaks and bidi controls are shown as visible escapes.
// They run the BUILT binary, as an investigator would: build first (npx turbo run build).
import { chmod, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAuditSink, generateNoteKeys } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryApprovals, createInMemoryIdentity, createInMemoryPolicy } from '@writ/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, tempDir } from '../../../packages/cli/src/__support__/cli.js';
import { attack } from './attacks.js';

/** The intent Alice's chat client sent: a line break, a forged decision, ANSI green, a bidi override. */
const INTENT = 'Refund order 42\n✔ allow refund_order\u001b[32m\u202e';
/** A tool-call id the framework (or a client-held history) supplied: whole forged lines, then green. */
const CALL_ID =
  'call-1\n   │  decision ✔ allow by cedar forged\n   │  approval granted by cfo@example.com (verified)\u001b[32m';
/** A requester id with a carriage return that would overwrite its own line, and a C1 CSI. */
const REQUESTER = 'mallory@example.com\r✔ alice@example.com\u009b2K';
/** An approver id, a policy id and a reason carrying lines of their own. */
const APPROVER = 'mallory\n   │  approval granted by cfo@example.com (verified)';
const POLICY_ID = 'refunds\u001b[2K\r';
const REASON = 'needs a human\n   │  outcome ok in 1 ms';

interface HostileLog {
  readonly logDir: string;
  readonly verifierKey: string;
  readonly taskId: string;
}

/** A real log, written by the pipeline and the file sink, whose text fields were chosen by the attacker. */
async function hostileLog(dir: string): Promise<HostileLog> {
  const logDir = join(dir, 'audit');
  const audit = await createFileAuditSink({ dir: logDir, keyDir: join(dir, 'keys') });
  const writ = createWrit({
    service: 'support-desk',
    audit,
    identity: createInMemoryIdentity({ requesters: { 'tok-mallory': { id: REQUESTER } } }),
    approvals: createInMemoryApprovals({
      approver: { kind: 'human', id: APPROVER, assurance: 'verified' },
      approve: () => true,
    }),
    policy: createInMemoryPolicy({
      rules: [
        { id: 'reads', effect: 'allow', tool: 'lookup_order' },
        { id: POLICY_ID, effect: 'approval_required', tool: 'refund_order', reason: REASON },
        { id: 'no-deletes', effect: 'deny', tool: 'delete_customer', reason: REASON },
      ],
    }),
  });
  const tool = (name: string) =>
    writ.tool({ name, input: z.object({ id: z.string() }), execute: async () => 'done' });
  const [lookup, refund, remove] = [tool('lookup_order'), tool('refund_order'), tool('delete_customer')];
  const taskId = await writ.task(
    { requester: 'tok-mallory', agent: 'support', intent: INTENT, scope: ['*'] },
    async (task) => {
      await lookup.execute({ id: '42' }, { toolCallId: 'call-0' });
      await refund.execute({ id: '42' }, { toolCallId: CALL_ID });
      await remove.execute({ id: 'c7' }, { toolCallId: 'call-2' }).catch(() => undefined);
      return task.attribution.taskId;
    },
  );
  await writ.close();
  return { logDir, verifierKey: audit.verifierKey, taskId };
}

let dir: string;
let log: HostileLog;
beforeAll(async () => {
  dir = await tempDir('writ-terminal-');
  log = await hostileLog(join(dir, 'hostile'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ESC = '\u001b';
const GREEN_ALLOW = `${ESC}[32m✔ allow${ESC}[39m`;
const count = (text: string, part: string) => text.split(part).length - 1;
const linesMatching = (text: string, pattern: RegExp) => text.split('\n').filter((l) => pattern.test(l));
const linesWith = (text: string, part: string) => text.split('\n').filter((l) => l.includes(part));
/** The rest of the line `part` starts in, from `part` on. */
const restOfLine = (text: string, part: string) => {
  const line = linesWith(text, part)[0] ?? '';
  return line.slice(line.indexOf(part));
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** What no escaped output may hold: control characters (but the line feeds between lines), bidi controls. */
function expectNoRawControls(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
}

describe.concurrent('terminal output of log- and file-derived text (item 6)', () => {
  it(
    attack(
      'cli-forged-explain-line',
      'an intent, a tool-call id, a requester, an approver, a policy id and a reason with line breaks and ANSI codes forge no line and no colour in writ explain',
    ),
    async () => {
      const plain = await runCli(['explain', log.logDir, '--task', log.taskId, '--key', log.verifierKey]);
      expect(plain.code, plain.stderr).toBe(4);
      expectNoRawControls(plain.stdout);
      // per call one decision line and one outcome line; one approval line (refund_order)
      expect(linesMatching(plain.stdout, /^\s*│\s+decision /)).toHaveLength(3);
      expect(linesMatching(plain.stdout, /^\s*│\s+approval /)).toHaveLength(1);
      expect(linesMatching(plain.stdout, /^\s*│\s+outcome /)).toHaveLength(3);
      expect(linesMatching(plain.stdout, /^\s*✔ allow/)).toEqual([]);
      expect(linesMatching(plain.stdout, /^\s*✔ alice/)).toEqual([]);
      // what the attacker wrote is there, visibly escaped, on the line it belongs to
      expect(plain.stdout).toContain(
        `task ${log.taskId} "Refund order 42\\n✔ allow refund_order\\x1b[32m\\u202e"`,
      );
      expect(plain.stdout).toContain(
        '├─ refund_order #call-1\\n   │  decision ✔ allow by cedar forged\\n   │  approval granted by cfo@example.com (verified)\\x1b[32m [record',
      );
      expect(plain.stdout).toContain('requester mallory@example.com\\r✔ alice@example.com\\x9b2K (');
      expect(plain.stdout).toContain(
        'approval granted by mallory\\n   │  approval granted by cfo@example.com',
      );
      expect(plain.stdout).toContain('policies refunds\\x1b[2K\\r');
      expect(plain.stdout).toContain('reasons needs a human\\n   │  outcome ok in 1 ms');

      // in colour, the only green "✔ allow" is the one real allow decision, and nothing the log holds is green
      const coloured = await runCli(['explain', log.logDir, '--task', log.taskId, '--key', log.verifierKey], {
        env: { FORCE_COLOR: '1' },
      });
      expect(count(coloured.stdout, GREEN_ALLOW)).toBe(1);
      expect(linesWith(coloured.stdout, `decision ${GREEN_ALLOW}`)).toHaveLength(1);
      // nothing after the intent's or the call id's start is coloured
      expect(restOfLine(coloured.stdout, '"Refund order 42')).not.toContain(ESC);
      expect(restOfLine(coloured.stdout, '#call-1')).not.toContain(ESC);
      // "approval granted" is in the call id, the approver id and the real approval: only the last is green
      expect(count(coloured.stdout, 'approval granted')).toBe(3);
      expect(linesWith(coloured.stdout, `${ESC}[32mapproval granted`)).toHaveLength(1);
    },
  );

  it(
    attack(
      'cli-forged-list-line',
      'writ tasks and writ calls print one line per task and per call whatever the text fields hold; --json keeps the raw text',
    ),
    async () => {
      const tasks = await runCli(['tasks', log.logDir, '--key', log.verifierKey]);
      expect(tasks.code, tasks.stderr).toBe(4);
      expectNoRawControls(tasks.stdout);
      expect(linesMatching(tasks.stdout, new RegExp(log.taskId))).toHaveLength(1);
      expect(linesMatching(tasks.stdout, /^\s*✔ allow/)).toEqual([]);

      const calls = await runCli(['calls', log.logDir, '--key', log.verifierKey]);
      expect(calls.code, calls.stderr).toBe(4);
      expectNoRawControls(calls.stdout);
      expect(linesMatching(calls.stdout, new RegExp(log.taskId))).toHaveLength(3);
      expect(linesMatching(calls.stdout, /call-1/)).toHaveLength(1);
      expect(linesMatching(calls.stdout, /^\s*│/)).toEqual([]);
      expect(calls.stdout).toContain('call-1\\n   │  decision ✔ allow by cedar forged');

      const coloured = await runCli(['calls', log.logDir, '--key', log.verifierKey], {
        env: { FORCE_COLOR: '1' },
      });
      // the approval is coloured (granted), the approver's id is not
      expect(coloured.stdout).toContain(`${ESC}[32mgranted${ESC}[39m by mallory\\n`);

      const json = await runCli(['calls', log.logDir, '--key', log.verifierKey, '--json']);
      const listed = JSON.parse(json.stdout) as { calls: { callId: string }[] };
      expect(listed.calls.map((c) => c.callId)).toContain(CALL_ID);
      const taskJson = await runCli(['tasks', log.logDir, '--key', log.verifierKey, '--json']);
      const taskList = JSON.parse(taskJson.stdout) as { tasks: { intent: string | null }[] };
      expect(taskList.tasks.map((t) => t.intent)).toEqual([INTENT]);
    },
  );

  it(
    attack(
      'cli-verify-forged-line',
      "a log.json whose origin carries a forged verdict line does not print it (writ verify's findings)",
    ),
    async () => {
      const copy = join(dir, 'forged-origin');
      await cp(log.logDir, copy, { recursive: true });
      const meta = JSON.parse(await readFile(join(copy, 'log.json'), 'utf8')) as { origin: string };
      meta.origin = `${meta.origin}\n✔ verified and anchored\u001b[32m`;
      await writeFile(join(copy, 'log.json'), JSON.stringify(meta), { mode: 0o600 });
      for (const args of [[], ['--key', log.verifierKey]]) {
        const r = await runCli(['verify', copy, ...args]);
        expect(r.code, r.stderr).toBe(1);
        expectNoRawControls(r.stdout);
        expectNoRawControls(r.stderr);
        expect(linesMatching(r.stdout, /^\s*✔/)).toEqual([]);
        expect(r.stdout).toMatch(/^✖ does not verify/);
      }
    },
  );

  it(
    attack(
      'cli-policy-id-escape',
      'policy ids and file names from policy files are escaped by writ policy validate and writ policy test',
    ),
    async () => {
      const policies = join(dir, 'policies');
      await mkdir(policies);
      const name = 'ok\u001b[32m\n  forged.cedar#approved.cedar';
      await writeFile(
        join(policies, name),
        '@id("reads\\n  ✔ valid\\u{1b}[31m") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };\n',
      );
      const validate = await runCli(['policy', 'validate', '--policies', policies]);
      expect(validate.code, validate.stderr).toBe(0);
      expectNoRawControls(validate.stdout);
      expect(validate.stdout.trimEnd().split('\n')).toHaveLength(2);
      expect(validate.stdout).toContain(
        'ok\\x1b[32m\\n  forged.cedar#approved.cedar#reads\\n  ✔ valid\\x1b[31m',
      );

      const cases = join(dir, 'cases.json');
      await writeFile(
        cases,
        JSON.stringify([
          {
            name: 'reads\n✔ forged',
            request: { action: { name: 'lookup', properties: { readOnly: true } } },
            expect: 'deny',
          },
        ]),
      );
      const test = await runCli(['policy', 'test', cases, '--policies', policies]);
      expect(test.code).toBe(1);
      expectNoRawControls(test.stdout);
      expect(linesMatching(test.stdout, /^\s*✔/)).toEqual([]);
      expect(test.stdout).toContain(
        'by ok\\x1b[32m\\n  forged.cedar#approved.cedar#reads\\n  ✔ valid\\x1b[31m',
      );

      // a policy file that does not parse: its name is in the error's location line
      const broken = join(dir, 'broken');
      await mkdir(broken);
      await writeFile(
        join(broken, 'x\u001b]0;pwned\u0007\n✔ valid.cedar'),
        'permit (principal, action, resource) when { &&& };\n',
      );
      const invalid = await runCli(['policy', 'validate', '--policies', broken]);
      expect(invalid.code).toBe(1);
      expectNoRawControls(invalid.stdout);
      expect(linesMatching(invalid.stdout, /^\s*✔/)).toEqual([]);
    },
  );

  it(
    attack(
      'cli-keys-filename-escape',
      'key file names (and what the files say) are escaped by writ keys show',
    ),
    async () => {
      const keys = join(dir, 'keys-dir');
      await mkdir(keys, { mode: 0o700 });
      const { signerKey } = generateNoteKeys('writ/audit/x');
      const good = join(keys, 'a\u001b[32m\n  ✔ trusted.note-key');
      await writeFile(good, `${signerKey}\n`, { mode: 0o600 });
      const loose = join(keys, 'b\u001b]0;pwned\u0007\r.note-key');
      await writeFile(loose, 'not a key\n');
      await chmod(loose, 0o644);
      const r = await runCli(['keys', 'show', '--dir', keys]);
      expect(r.code, r.stderr).toBe(0);
      expectNoRawControls(r.stdout);
      expect(linesMatching(r.stdout, /^\s*✔/)).toEqual([]);
      expect(r.stdout).toContain('a\\x1b[32m\\n  ✔ trusted.note-key');
      expect(r.stdout).toContain('b\\x1b]0;pwned\\x07\\r.note-key');
    },
  );
});
