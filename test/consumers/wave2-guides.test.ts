// Issue 22's gap: the wave-2 adapters' guides (Google ADK, Strands, Genkit, OpenAI Agents) from the packed
// packages, OUTSIDE the workspace. Every publishable package is packed with `npm pack` once; scratch projects
// in the temp directory install the tarballs with the guides' `npm install` lines, several guides per install
// (Writ's names mapped to the tarballs, nothing linked to this repository; Strands in a project of its own:
// its optional peers clash with the Agents SDK's, see wave2-readers.ts). Then, for each guide:
// - its quick start (the page's ts blocks that continue one another), with what the page leaves to the
//   reader supplied before it (a database, a payments client, the user's token) and the model stood in by
//   a script through the framework's own seam (models cannot run here: see wave2-readers.ts), compiled with
//   tsc against the installed types and run with node; its records checked, its log verified with
//   `npx writ verify` and the key `npx writ keys show` gives;
// - its runnable example (examples/<name>/src, copied out as a user copies it) run with node: the same
//   conversation the example prints in the workspace, and its log verifies.
// The wave-2 adapters need Node 22.12: this runs on the Node running the tests only (the newcomer check
// covers Node 20 for `writ` itself). Prints the install's figures; asserts no peer or engine warnings.
import { cpSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportDeskConversation } from '../../examples/_shared/support-desk-test.js';
import { logRecords } from '../guides/run-docs.js';
import { currentNode, shimDirectory } from './node-lines.js';
import { compileProgram } from './reader-project.js';
import {
  cleanEnv,
  installedPackages,
  megabytes,
  npmWarnings,
  packPackages,
  publishablePackages,
  ROOT,
  run,
  sizeOf,
} from './scratch-project.js';
import { WAVE2_GUIDES } from './wave2-readers.js';

const INSTALL_TIMEOUT = 10 * 60_000;
const RUN_TIMEOUT = 2 * 60_000;

let scratch = '';
let env: NodeJS.ProcessEnv = {};
const figures: string[] = [];

beforeAll(async () => {
  const started = performance.now();
  scratch = await mkdtemp(join(tmpdir(), 'writ-wave2-guides-'));
  const packs = join(scratch, 'packs');
  await mkdir(packs);
  const tarballs = await packPackages(publishablePackages(), packs);
  const packed = performance.now();

  env = cleanEnv({
    PATH: `${shimDirectory(currentNode(), scratch)}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
  });
  figures.push(`packed ${tarballs.size} packages in ${((packed - started) / 1000).toFixed(1)} s`);
  // the projects install side by side (npm waits on the network and the disk more than on the CPU)
  const install = async (group: string) => {
    const guides = WAVE2_GUIDES.filter((g) => g.project === group);
    const project = join(scratch, group);
    await mkdir(project);
    // the guides' install lines in one install; Writ's names → tarballs, the rest pinned by overrides
    const words = [...new Set(guides.flatMap((g) => g.program().install.split(/\s+/).slice(2)))];
    const overrides: Record<string, string> = {};
    for (const [name, tarball] of tarballs) if (!words.includes(name)) overrides[name] = `file:${tarball}`;
    const manifest = { name: `writ-wave2-${group}`, private: true, type: 'module', overrides };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const installing = performance.now();
    const installed = await run(
      'npm',
      [
        'install',
        ...words.map((w) => tarballs.get(w) ?? w),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=warn',
      ],
      project,
      env,
    );
    expect(installed.code, installed.stderr).toBe(0);
    const warnings = npmWarnings(installed);
    figures.push(
      `${group}: \`npm install ${words.join(' ')}\`: ${(await installedPackages(project)).length} packages, ` +
        `${megabytes(await sizeOf(join(project, 'node_modules')))} in node_modules, installed in ` +
        `${((performance.now() - installing) / 1000).toFixed(1)} s; npm warnings: ${warnings.length === 0 ? 'none' : `\n    ${warnings.join('\n    ')}`}`,
    );
    expect(warnings.filter((w) => /EBADENGINE|ERESOLVE|peer/i.test(w))).toEqual([]);
  };
  await Promise.all([...new Set(WAVE2_GUIDES.map((g) => g.project))].map(install));
}, INSTALL_TIMEOUT);

afterAll(async () => {
  console.log(`wave-2 guides outside the workspace:\n  ${figures.join('\n  ')}`);
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

interface StoredRecord {
  kind: string;
  call?: { name: string };
  decision?: { effect: string };
  outcome?: { status: string };
  approval?: { approved: boolean; approver: { id: string } };
}

describe.each(WAVE2_GUIDES)('$page, from the packed packages outside the workspace', (guide) => {
  it(
    'runs the quick start as written (the model a script): decided, approved where it pauses, recorded, verified',
    async () => {
      const started = performance.now();
      const program = guide.program();
      const dir = join(scratch, guide.project, `${guide.example}-guide`);
      const compiled = await compileProgram(dir, 'agent', program.code, 'esm');
      expect(compiled.diagnostics).toBe('');
      const compiledAt = performance.now();
      const ran = await run('node', [compiled.file], dir, { ...env, ...guide.env });
      const ranAt = performance.now();
      expect(ran.code, ran.stderr).toBe(0);
      const records = logRecords(join(dir, '.writ', 'audit')) as unknown as StoredRecord[];
      const decided = (name: string) =>
        records.filter((r) => r.kind === 'decision' && r.call?.name === name).map((r) => r.decision?.effect);
      const summary = JSON.stringify(
        records.map((r) => [r.kind, r.call?.name, r.decision?.effect ?? r.outcome?.status]),
      );
      // the approved refund ran once, after the human's answer
      expect(ran.stdout.match(/REFUNDED 42 250/g) ?? [], `${summary}\n${ran.stdout}`).toHaveLength(1);
      expect(ran.stdout).toContain('LOOKED UP 42');

      expect(decided('lookup_order')).toEqual(['allow']);
      expect(decided('refund_order'), `${summary}\n${ran.stdout}`).toEqual(['approval_required']);
      if (guide.pausesRecorded !== undefined) {
        const asked = records.filter(
          (r) => r.kind === 'approval-requested' && r.call?.name === 'refund_order',
        );
        expect(asked, summary).toHaveLength(guide.pausesRecorded);
      }
      expect(
        records
          .filter((r) => r.kind === 'outcome' && r.call?.name === 'refund_order')
          .map((r) => r.outcome?.status),
      ).toEqual(['ok']);
      expect(records.filter((r) => r.kind === 'approval').map((r) => r.approval)).toMatchObject([
        { approved: true, approver: { id: 'maria@example.com' } },
      ]);

      const shell = (command: string, extra: Record<string, string> = {}) =>
        run('bash', ['-c', command], dir, { ...env, npm_config_offline: 'true', ...extra });
      const shown = await shell('npx writ keys show --json');
      const verifierKey = (JSON.parse(shown.stdout) as { verifierKeys: { verifierKey: string }[] })
        .verifierKeys[0]?.verifierKey as string;
      const verify = await shell('npx writ verify .writ/audit --key "$WRIT_VERIFIER_KEY"', {
        WRIT_VERIFIER_KEY: verifierKey,
      });
      // every record verifies with the pinned key; no checkpoint kept elsewhere anchors it (exit 4)
      expect(verify.code, verify.stderr).toBe(4);
      expect(verify.stdout).toMatch(/^✔ verified, unanchored /);
      const s = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;
      figures.push(
        `${guide.page}: quick start compiled in ${s(started, compiledAt)}, run in ${s(compiledAt, ranAt)}, ` +
          `verified in ${s(ranAt, performance.now())}`,
      );
    },
    RUN_TIMEOUT,
  );

  it(
    `runs examples/${guide.example} copied out of the repository: the same conversation, a log that verifies`,
    async () => {
      const started = performance.now();
      const dir = join(scratch, guide.project, guide.example);
      const src = join(ROOT, 'examples', guide.example, 'src');
      await mkdir(dir, { recursive: true });
      for (const file of readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
        cpSync(join(src, file), join(dir, file));
      }
      const ran = await run('node', ['main.ts'], dir, { ...env, NODE_NO_WARNINGS: '1' });
      expect(ran.code, ran.stderr).toBe(0);
      const [conversation = '', rest = ''] = ran.stdout.split('\nverify: ');
      if (guide.conversation !== undefined) {
        const lines = conversation.split('\n').filter((l) => l !== '' && !/^(INFO|WARN|DEBUG):/.test(l));
        expect(lines).toEqual(guide.conversation === 'support-desk' ? supportDeskConversation() : []);
      }
      expect(rest.startsWith('OK'), ran.stdout).toBe(true);
      figures.push(
        `examples/${guide.example}: run in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    },
    RUN_TIMEOUT,
  );
});
