// Checks the *built* packages (dist/), as users install them: ESM and CJS entry points, types files,
// and that the two module formats interoperate. `npm test` builds before running this.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkgDir = join(root, 'packages', 'core');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const require = createRequire(join(pkgDir, 'package.json'));

type Entry = { import: { types: string; default: string }; require: { types: string; default: string } };

describe('@writ/core build output', () => {
  it('ships ESM, CJS and both declaration flavours for every export, types listed first', () => {
    for (const [subpath, entry] of Object.entries(pkg.exports as Record<string, Entry | string>)) {
      if (typeof entry === 'string') continue;
      for (const condition of ['import', 'require'] as const) {
        expect(Object.keys(entry[condition])[0], `${subpath} ${condition}`).toBe('types');
        for (const file of Object.values(entry[condition]))
          expect(existsSync(join(pkgDir, file)), file).toBe(true);
      }
    }
  });

  it('loads the same API from ESM and CJS, and errors are recognised across the two copies', async () => {
    const esm = await import(pathToFileURL(join(pkgDir, pkg.exports['.'].import.default)).href);
    const cjs = require(join(pkgDir, pkg.exports['.'].require.default));
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
    const plugin = await import(pathToFileURL(join(pkgDir, pkg.exports['./plugin'].import.default)).href);
    expect(plugin.VERSION).toBe(pkg.version);
    const fromCjs = new cjs.WritError('WRIT_POLICY_DENIED', 'no');
    expect(fromCjs instanceof esm.WritError).toBe(false);
    expect(esm.WritError.isInstance(fromCjs, 'WRIT_POLICY_DENIED')).toBe(true);

    const testing = require(join(pkgDir, pkg.exports['./testing'].require.default));
    const writ = cjs.createWrit({
      audit: testing.createInMemoryAuditSink(),
      policy: testing.createInMemoryPolicy({ fallback: 'allow' }),
    });
    const { z } = await import('zod');
    const tool = writ.tool({ name: 'ping', input: z.object({}), execute: async () => 'pong' });
    await expect(tool.execute({})).resolves.toBe('pong');
  });

  it('shares task context between its ESM and CJS copies (the dual-package hazard), with no OTel SDK', async () => {
    const esm = await import(pathToFileURL(join(pkgDir, pkg.exports['.'].import.default)).href);
    const cjs = require(join(pkgDir, pkg.exports['.'].require.default));
    const testing = await import(pathToFileURL(join(pkgDir, pkg.exports['./testing'].import.default)).href);
    const { z } = await import('zod');
    const audit = testing.createInMemoryAuditSink();
    const writ = esm.createWrit({ audit, policy: testing.createInMemoryPolicy({ fallback: 'allow' }) });
    // a library loaded with require() defines its tool with the CJS copy, without naming an instance
    const lookup = cjs.withAttribution(async () => cjs.getAttribution().taskId, {
      name: 'lookup',
      input: z.object({}),
    });
    const seen = await writ.task(
      { agent: 'support', requester: { kind: 'human', id: 'alice@example.com' } },
      async (task: { attribution: { taskId: string } }) => {
        await new Promise((r) => setTimeout(r, 1));
        return {
          inTask: task.attribution.taskId,
          fromCjs: cjs.tryGetAttribution()?.taskId,
          ranIn: await lookup({}),
        };
      },
    );
    expect(seen.fromCjs).toBe(seen.inTask);
    expect(seen.ranIn).toBe(seen.inTask);
    // the call ran in alice's task (one task-start: no autonomous task of its own)
    expect(audit.ofKind('task-start')).toHaveLength(1);
  });

  it('depends only on zod, with @opentelemetry/api as a peer', () => {
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['zod']);
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(['@opentelemetry/api']);
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.type).toBe('module');
  });
});

describe('@writ/identity build output', () => {
  const dir = join(root, 'packages', 'identity');
  const idPkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const requireId = createRequire(join(dir, 'package.json'));

  it('loads from ESM and CJS with the same API, and ships the Workload API proto beside the bundle', async () => {
    const esm = await import(pathToFileURL(join(dir, idPkg.exports['.'].import.default)).href);
    const cjs = requireId(join(dir, idPkg.exports['.'].require.default));
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
    expect(existsSync(join(dir, 'dist', 'workload.proto'))).toBe(true);
    expect(cjs.parseSpiffeId('spiffe://example.org/agent/x').trustDomain).toBe('example.org');
    // building a Workload API client loads the proto from dist (no socket is opened until a call)
    for (const mod of [esm, cjs]) {
      const client = mod.createWorkloadApiClient({ endpoint: 'unix:///tmp/writ-build-test.sock' });
      client.close();
    }
  });

  it('runs the OAuth client on oauth4webapi (ESM-only) from the CJS build too, through require()', async () => {
    expect(Object.keys(idPkg.dependencies)).toContain('oauth4webapi');
    const esm = await import(pathToFileURL(join(dir, idPkg.exports['.'].import.default)).href);
    const cjs = requireId(join(dir, idPkg.exports['.'].require.default));
    const sent: string[] = [];
    const fetch = async (_url: string, init: RequestInit) => {
      sent.push(String(init.body));
      return new Response(
        JSON.stringify({
          access_token: 'issued',
          issued_token_type: cjs.TOKEN_TYPES.accessToken,
          token_type: 'N_A',
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    };
    for (const mod of [esm, cjs]) {
      const result = await mod.exchangeToken({
        tokenEndpoint: 'https://sts.example.com/token',
        clientId: 'broker',
        clientSecret: 'broker-secret',
        subjectToken: 'subject',
        subjectTokenType: mod.TOKEN_TYPES.txnToken,
        fetch,
      });
      expect(result).toMatchObject({ tokenType: 'N_A', issuedTokenType: mod.TOKEN_TYPES.accessToken });
    }
    expect(sent).toHaveLength(2);
    expect(new URLSearchParams(sent[1]).get('grant_type')).toBe(cjs.TOKEN_EXCHANGE_GRANT_TYPE);
    expect(readFileSync(join(dir, idPkg.exports['.'].require.default), 'utf8')).toMatch(
      /require\(["']oauth4webapi["']\)/,
    );
  });

  it('keeps @writ/core and @opentelemetry/api as peers, never bundled', () => {
    expect(Object.keys(idPkg.peerDependencies)).toEqual([
      '@opentelemetry/api',
      '@writ/core',
      '@grpc/grpc-js',
      '@grpc/proto-loader',
    ]);
    const bundle = readFileSync(join(dir, idPkg.exports['.'].import.default), 'utf8');
    expect(bundle).toMatch(/from ["']@writ\/core["']/);
    expect(bundle).not.toContain('class WritError');
  });

  it("leaves the Workload API client's gRPC packages to those who use it: optional peers, imported on use", () => {
    const grpc = ['@grpc/grpc-js', '@grpc/proto-loader'];
    expect(idPkg.peerDependenciesMeta).toEqual(
      Object.fromEntries(grpc.map((name) => [name, { optional: true }])),
    );
    for (const name of grpc) expect(idPkg.dependencies).not.toHaveProperty(name);
    const esm = readFileSync(join(dir, idPkg.exports['.'].import.default), 'utf8');
    const cjs = readFileSync(join(dir, idPkg.exports['.'].require.default), 'utf8');
    for (const bundle of [esm, cjs]) {
      expect(bundle).not.toMatch(/from ["']@grpc\//);
      expect(bundle).not.toMatch(/require\(["']@grpc\//);
      expect(bundle).toMatch(/import\(["']@grpc\/grpc-js["']\)/);
    }
  });
});

describe.each(['policy', 'audit', 'otel', 'writ'])('%s build output', (name) => {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const requireFrom = createRequire(join(dir, 'package.json'));

  it('loads from ESM and CJS with the same API, types first in the exports map', async () => {
    const entry = manifest.exports['.'] as Entry;
    expect(Object.keys(entry.import)[0]).toBe('types');
    expect(Object.keys(entry.require)[0]).toBe('types');
    for (const file of [...Object.values(entry.import), ...Object.values(entry.require)])
      expect(existsSync(join(dir, file)), file).toBe(true);
    const esm = await import(pathToFileURL(join(dir, entry.import.default)).href);
    const cjs = requireFrom(join(dir, entry.require.default));
    expect(Object.keys(esm).length).toBeGreaterThan(3);
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
  });

  it('does not bundle @writ/core (one WritError class across packages)', () => {
    const bundle = readFileSync(join(dir, (manifest.exports['.'] as Entry).import.default), 'utf8');
    expect(bundle).not.toContain('class WritError');
  });
});

describe('writ build output: what importing it costs', () => {
  // Records every module Node resolves (import and require alike) while importing the built `writ`, then
  // while its zero-config runtime starts.
  const probe = `import { createRequire, registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
const [format, entry, dir] = process.argv.slice(2);
const writ = format === 'esm' ? await import(entry) : createRequire(import.meta.url)(entry);
const atImport = [...seen];
const runtime = writ.createWrit({ dir });
await runtime.ready();
await runtime.close();
console.log(JSON.stringify({ atImport, atReady: seen }));
`;

  it.each([
    ['ES module', 'esm', 'import'],
    ['CommonJS', 'cjs', 'require'],
  ] as const)(
    '%s: @writ/core only at import; identity, policy and audit when the runtime starts, in the same format',
    (_label, format, condition) => {
      const scratch = mkdtempSync(join(tmpdir(), 'writ-import-cost-'));
      try {
        const file = join(scratch, 'probe.mjs');
        writeFileSync(file, probe);
        const dir = join(root, 'packages', 'writ');
        const entry = join(
          dir,
          (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports['.'] as Entry)[condition]
            .default,
        );
        const out = execFileSync(
          process.execPath,
          [file, format, format === 'esm' ? pathToFileURL(entry).href : entry, join(scratch, '.writ')],
          { encoding: 'utf8' },
        );
        const { atImport, atReady } = JSON.parse(out) as { atImport: string[]; atReady: string[] };
        const writPackage = (urls: string[], name: string) =>
          urls.filter((u) => u.includes(`/packages/${name}/dist/`));
        const ext = format === 'esm' ? '.js' : '.cjs';
        expect(writPackage(atImport, 'core').length).toBeGreaterThan(0);
        for (const name of ['identity', 'policy', 'audit']) {
          expect(writPackage(atImport, name), `${name} at import`).toEqual([]);
          expect(writPackage(atReady, name).length, `${name} when started`).toBeGreaterThan(0);
        }
        expect(
          atImport.filter((u) => /\/node_modules\/(jose|oauth4webapi|lru-cache|@cedar-policy)\//.test(u)),
        ).toEqual([]);
        // one copy of each Writ package: every file of theirs in this format
        for (const url of atReady.filter((u) => /\/packages\/(core|identity|policy|audit)\/dist\//.test(u))) {
          expect(url.endsWith(ext) || url.endsWith('.json'), url).toBe(true);
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  );
});

it('the policy package ships its default policy set and schema', async () => {
  const policy = await import(pathToFileURL(join(root, 'packages', 'policy', 'dist', 'index.js')).href);
  const paths = policy.defaultPolicyPaths();
  expect(existsSync(paths.policies)).toBe(true);
  expect(existsSync(paths.schema)).toBe(true);
  const manifest = JSON.parse(readFileSync(join(root, 'packages', 'policy', 'package.json'), 'utf8'));
  expect(manifest.files).toContain('policies');
});
