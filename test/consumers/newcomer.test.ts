// Issue 19 acceptance: the newcomer's path outside the monorepo. Every publishable package is packed with
// `npm pack`; scratch projects OUTSIDE the workspace (ESM and CommonJS, on Node 24 and on Node 20) install
// the tarballs with the quick start's own `npm install` line (Writ's names mapped to the tarballs, nothing
// linked to this repository) and run docs/quickstart.md as written: its code compiled with tsc against the
// installed types and run, then its shell lines (`npx writ keys show`, `npx writ verify … --key …`,
// `explain`, `report`) with the `writ` command the install gave. On Node 24 the same projects then follow
// docs/guides/ai-sdk.md (its install line, its code; the AI SDK 7 needs Node 22, see docs/contributing.md).
// Prints what a newcomer gets (packages, bytes on disk, npm's warnings, the time `import 'writ'` takes:
// printed, never asserted) and asserts what must hold: no gRPC stack and no AI SDK installed by `writ`, no
// install-script or engine warnings, gRPC and Cedar not loaded by `import 'writ'`.
// Needs the built packages (`npm test` builds first) and the npm registry (for zod, ai and their like).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aiSdkGuideProgram, quickstartProgram } from '../guides/reader-programs.js';
import { logRecords } from '../guides/run-docs.js';
import { currentNode, findNode20, type NodeLine, shimDirectory } from './node-lines.js';
import { compileProgram, type ModuleKind } from './reader-project.js';
import {
  cleanEnv,
  installedPackages,
  megabytes,
  npmWarnings,
  packPackages,
  publishablePackages,
  ROOT,
  type Run,
  run,
  sizeOf,
} from './scratch-project.js';

const INSTALL_TIMEOUT = 10 * 60_000;
const RUN_TIMEOUT = 2 * 60_000;

/** What `npm install writ zod` must never bring: the SPIFFE client's gRPC stack and the demo's AI SDK. */
const NOT_FOR_EVERYONE = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'ai', '@writ/ai-sdk'];

const node20 = findNode20();
const LINES: NodeLine[] = [currentNode(), ...(typeof node20 === 'string' ? [] : [node20])];
const KINDS: ModuleKind[] = ['esm', 'cjs'];

let scratch = '';
let tarballs = new Map<string, string>();
const figures: string[] = [];

beforeAll(async () => {
  for (const name of ['core', 'identity', 'policy', 'audit', 'cli', 'writ']) {
    if (!existsSync(join(ROOT, 'packages', name, 'dist', 'index.js'))) {
      throw new Error(`packages/${name} is not built: run \`npx turbo run build\` (npm test builds first)`);
    }
  }
  scratch = await mkdtemp(join(tmpdir(), 'writ-newcomer-'));
  const started = performance.now();
  const packs = join(scratch, 'packs');
  await mkdir(packs);
  tarballs = await packPackages(publishablePackages(), packs);
  figures.push(`packed ${tarballs.size} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, INSTALL_TIMEOUT);

afterAll(async () => {
  console.log(`newcomer check:\n  ${figures.join('\n  ')}`);
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

it('runs on Node 20 as well as on the Node running the tests', () => {
  expect(node20, String(node20)).not.toBeTypeOf('string');
  expect(LINES.map((l) => l.major)).toContain(20);
});

/** The page's `npm install …` line with Writ's package names replaced by their tarballs. */
function installArgs(line: string): { args: string[]; direct: string[] } {
  const words = line.trim().split(/\s+/).slice(2); // after `npm install`
  return {
    args: words.map((w) => tarballs.get(w) ?? w),
    direct: words.filter((w) => tarballs.has(w)),
  };
}

describe.each(LINES.flatMap((line) => KINDS.map((kind) => ({ line, kind }))))(
  'a newcomer on Node $line.major ($line.version), $kind project',
  ({ line, kind }) => {
    const label = `Node ${line.major} ${kind === 'esm' ? 'ESM' : 'CommonJS'}`;
    let project = '';
    let env: NodeJS.ProcessEnv = {};
    const direct: string[] = []; // Writ packages the project depends on by name (the rest are overridden)

    /** package.json of the project, with every Writ package not installed by name pinned to its tarball. */
    const writeManifest = async (installing: string[]) => {
      const overrides: Record<string, string> = {};
      for (const [name, tarball] of tarballs) {
        if (!direct.includes(name) && !installing.includes(name)) overrides[name] = `file:${tarball}`;
      }
      const file = join(project, 'package.json');
      const manifest = existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
        : {
            name: `writ-newcomer-node${line.major}-${kind}`,
            private: true,
            type: kind === 'esm' ? 'module' : 'commonjs',
          };
      await writeFile(file, `${JSON.stringify({ ...manifest, overrides }, null, 2)}\n`);
    };

    /** Runs a page's `npm install` line (Writ's names → tarballs) with this Node's npm; prints the figures. */
    const install = async (pageLine: string, what: string) => {
      const { args, direct: installing } = installArgs(pageLine);
      await writeManifest(installing);
      const started = performance.now();
      const result = await run(
        'npm',
        ['install', ...args, '--no-audit', '--no-fund', '--loglevel=warn'],
        project,
        env,
      );
      const seconds = (performance.now() - started) / 1000;
      direct.push(...installing);
      const packages = await installedPackages(project);
      const bytes = await sizeOf(join(project, 'node_modules'));
      const warnings = npmWarnings(result);
      figures.push(
        `${label}, ${what} (\`${pageLine.trim()}\`): ${packages.length} packages, ${megabytes(bytes)} in node_modules, ` +
          `installed in ${seconds.toFixed(1)} s; npm warnings: ${warnings.length === 0 ? 'none' : `\n    ${warnings.join('\n    ')}`}`,
      );
      return { result, packages, warnings };
    };

    const shell = (command: string, extra: Record<string, string> = {}, cwd = project) =>
      run('bash', ['-c', command], cwd, { ...env, npm_config_offline: 'true', ...extra });

    beforeAll(async () => {
      project = join(scratch, `node${line.major}-${kind}`);
      await mkdir(project, { recursive: true });
      env = cleanEnv({ PATH: `${shimDirectory(line, project)}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
      if (line.major < 22) {
        figures.push(`${label}: the AI SDK guide is not run (AI SDK 7 requires Node 22: its engines field)`);
      }
    });

    it(
      'installs `writ zod` as the quick start says: no gRPC, no AI SDK, no install-script or engine warnings',
      async () => {
        const [installLine] = quickstartProgram().install;
        expect(installLine).toBe('npm install writ zod');
        const { result, packages, warnings } = await install(installLine as string, 'the quick start');
        expect(result.code, result.stderr).toBe(0);
        expect(warnings.filter((w) => /install-scripts|EBADENGINE|ERESOLVE|peer/i.test(w))).toEqual([]);
        const names = new Set(packages.map((p) => p.name));
        expect(NOT_FOR_EVERYONE.filter((n) => names.has(n))).toEqual([]);
        for (const name of [
          'writ',
          '@writ/cli',
          '@writ/core',
          '@writ/identity',
          '@writ/policy',
          '@writ/audit',
        ]) {
          expect(names.has(name), name).toBe(true);
        }
        expect(existsSync(join(project, 'node_modules', '.bin', 'writ'))).toBe(true);
        const ls = await run('npm', ['ls', '--all'], project, env);
        expect(ls.code, ls.stdout + ls.stderr).toBe(0);
      },
      INSTALL_TIMEOUT,
    );

    it(
      "imports writ without loading gRPC or Cedar's wasm (and prints how long it takes)",
      async () => {
        const probe =
          kind === 'esm'
            ? `import { createRequire } from 'node:module';
const cpu = process.cpuUsage(); const t = performance.now();
const writ = await import('writ');
const wall = performance.now() - t; const used = process.cpuUsage(cpu);
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000, createWrit: typeof writ.createWrit, loaded }));
`
            : `const cpu = process.cpuUsage(); const t = performance.now();
const writ = require('writ');
const wall = performance.now() - t; const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000, createWrit: typeof writ.createWrit, loaded: Object.keys(require.cache) }));
`;
        await writeFile(join(project, 'import-writ.js'), probe);
        const samples: { wall: number; cpu: number }[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await run('node', ['import-writ.js'], project, env);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).toBe('');
          const seen = JSON.parse(r.stdout) as {
            wall: number;
            cpu: number;
            createWrit: string;
            loaded: string[];
          };
          expect(seen.createWrit).toBe('function');
          expect(seen.loaded.filter((f) => /[\\/](@grpc|protobufjs|@cedar-policy)[\\/]/.test(f))).toEqual([]);
          samples.push(seen);
        }
        const median = (values: number[]) =>
          [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
        figures.push(
          `${label}: ${kind === 'esm' ? "import('writ')" : "require('writ')"} median ${median(samples.map((s) => s.wall)).toFixed(0)} ms wall, ` +
            `${median(samples.map((s) => s.cpu)).toFixed(0)} ms CPU (runs: ${samples.map((s) => `${s.wall.toFixed(0)}/${s.cpu.toFixed(0)}`).join(' ')})`,
        );
      },
      RUN_TIMEOUT,
    );

    it(
      'runs the quick start as written: its code, then npx writ keys show, verify with the pinned key, explain, report',
      async () => {
        const program = quickstartProgram();
        const compiled = await compileProgram(project, 'quickstart', program.code, kind);
        expect(compiled.diagnostics).toBe('');
        const ran = await run('node', [compiled.file], project, env);
        expect(ran.stderr).toBe('');
        expect(ran.code).toBe(0);

        const records = logRecords(join(project, '.writ', 'audit'));
        const decision = records.find((r) => r.kind === 'decision') as
          | { call: { name: string }; decision: { effect: string } }
          | undefined;
        expect(decision?.call.name).toBe('lookup_order');
        expect(decision?.decision.effect).toBe('allow');
        const taskId = (records.find((r) => r.kind === 'task-start') as { taskId: string }).taskId;
        expect(ran.stdout).toContain(taskId);

        // the verifier key, as the reader copies it from `writ keys show` (the key directory, not the log)
        const shown = await shell('npx writ keys show --json');
        expect(shown.code, shown.stderr).toBe(0);
        const verifierKey = (JSON.parse(shown.stdout) as { verifierKeys: { verifierKey: string }[] })
          .verifierKeys[0]?.verifierKey as string;
        expect(verifierKey).toMatch(/^writ\/audit\//);

        const results: { command: string; result: Run }[] = [];
        for (const command of program.shell) {
          results.push({
            command,
            result: await shell(command, { TASK_ID: taskId, WRIT_VERIFIER_KEY: verifierKey }),
          });
        }
        for (const { command, result } of results)
          expect(result.code, `${command}\n${result.stderr}`).toBe(0);
        const verify = results.find((r) => /\bwrit verify\b/.test(r.command));
        expect(verify?.command).toMatch(/--key(-file)? /); // the page pins the key
        expect(verify?.result.stdout).toMatch(/^✔ verified and anchored /);
        expect(results.find((r) => /\bwrit explain\b/.test(r.command))?.result.stdout).toContain(
          'lookup_order',
        );
        expect(existsSync(join(project, 'report.html'))).toBe(true);
      },
      RUN_TIMEOUT,
    );

    it(
      '`npx writ demo` names the packages it needs instead of failing on a missing import',
      async () => {
        const demo = await shell('npx writ demo');
        expect(demo.code).toBe(3);
        expect(demo.stderr).toContain(
          'WRIT_NOT_CONFIGURED: writ demo runs its agents on the Vercel AI SDK and needs writ, @writ/ai-sdk, ai installed beside @writ/cli',
        );
        expect(demo.stderr).toContain('npm install writ @writ/ai-sdk ai');
      },
      RUN_TIMEOUT,
    );

    // the AI SDK 7 needs Node 22: on Node 20 the figures say the guide is not run
    if (line.major >= 22) {
      it(
        'then follows the AI SDK guide as written: install line, generateText loop with an approval, npx writ verify',
        async () => {
          const program = aiSdkGuideProgram();
          const [installLine] = program.install;
          expect(installLine).toBe('npm install writ @writ/ai-sdk ai zod');
          const { result, warnings } = await install(installLine as string, 'then the AI SDK guide');
          expect(result.code, result.stderr).toBe(0);
          expect(warnings.filter((w) => /install-scripts|EBADENGINE|ERESOLVE|peer/i.test(w))).toEqual([]);

          const guide = join(project, 'ai-sdk-guide');
          const compiled = await compileProgram(guide, 'agent', program.code, kind);
          expect(compiled.diagnostics).toBe('');
          const ran = await run('node', [compiled.file], guide, env);
          expect(ran.stderr).toBe('');
          expect(ran.code).toBe(0);
          // the approved refund ran once, after the human's answer, and the model was told
          expect(ran.stdout.match(/REFUNDED 42 250/g) ?? []).toHaveLength(1);
          expect(ran.stdout).toContain('MODEL: refunded 250 on order 42');

          const shown = await shell('npx writ keys show --json', {}, guide);
          const verifierKey = (JSON.parse(shown.stdout) as { verifierKeys: { verifierKey: string }[] })
            .verifierKeys[0]?.verifierKey as string;
          const verify = await shell(
            'npx writ verify .writ/audit --key "$WRIT_VERIFIER_KEY"',
            { WRIT_VERIFIER_KEY: verifierKey },
            guide,
          );
          // every record verifies with the pinned key; no checkpoint kept elsewhere anchors it (exit 4)
          expect(verify.code, verify.stderr).toBe(4);
          expect(verify.stdout).toMatch(/^✔ verified, unanchored /);
        },
        INSTALL_TIMEOUT,
      );
    }

    const spiffeProbe = async () => {
      const probe = `${kind === 'esm' ? "import { createWorkloadApiClient } from '@writ/identity';" : "const { createWorkloadApiClient } = require('@writ/identity');"}
const client = createWorkloadApiClient({ endpoint: 'unix:///nonexistent/writ-check/agent.sock', timeoutMs: 1000, retry: { maxAttempts: 1 } });
client.fetchJwtSvid({ audience: 'writ' }).then(
  () => console.log(JSON.stringify({ ok: true })),
  (error) => console.log(JSON.stringify({ code: error.code, reason: error.details?.reason, message: error.message })),
).finally(() => client.close());
`;
      await writeFile(join(project, 'spiffe.js'), probe);
      const ran = await run('node', ['spiffe.js'], project, env);
      expect(ran.stderr).toBe('');
      return JSON.parse(ran.stdout) as Record<string, unknown>;
    };

    it(
      'the SPIFFE Workload API client without its optional gRPC packages: a typed error naming them',
      async () => {
        expect(await spiffeProbe()).toEqual({
          code: 'WRIT_IDENTITY_UNAVAILABLE',
          reason: 'grpc_missing',
          message:
            'the SPIFFE Workload API client needs the optional packages @grpc/grpc-js and @grpc/proto-loader: npm install @grpc/grpc-js @grpc/proto-loader',
        });
      },
      RUN_TIMEOUT,
    );

    // once per Node line, ESM on one and CommonJS on the other (each installs the gRPC packages)
    if ((line.major === 20) === (kind === 'cjs')) {
      it(
        'the SPIFFE Workload API client with @grpc/grpc-js and @grpc/proto-loader installed: it loads them and dials',
        async () => {
          const { result } = await install(
            'npm install @grpc/grpc-js @grpc/proto-loader',
            "then the SPIFFE client (npm prints protobufjs's install-script notice here, for those who install gRPC)",
          );
          expect(result.code, result.stderr).toBe(0);
          expect(await spiffeProbe()).toMatchObject({
            code: 'WRIT_IDENTITY_UNAVAILABLE',
            reason: 'unavailable',
          });
        },
        INSTALL_TIMEOUT,
      );
    }
  },
);
