// @writ/otel beside an application's own OpenTelemetry, installed the way users install it: `npm pack` of
// @writ/core and @writ/otel, then `npm install` of the tarballs into scratch projects OUTSIDE the workspace
// (no workspace links), one per OpenTelemetry JS line (the fixtures beside this file: the current 3.x
// releases, the last 2.x release, the oldest release @writ/otel's ranges accept, and none at all). Each must install with
// no ERESOLVE, a valid `npm ls`, and one copy of each OpenTelemetry SDK package; the preset must export a
// Writ span there from ESM and CommonJS, load gRPC only when asked, refuse an unsupported exporter, warn on
// stderr, and type-check against that line. Needs the built packages (`npm test` builds first) and the npm
// registry; prints each project's install size, package count and npm warnings.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  installedPackages,
  megabytes,
  npmWarnings,
  packPackages,
  type Run,
  ROOT as root,
  run,
  sizeOf,
} from './scratch-project.js';

const here = dirname(fileURLToPath(import.meta.url));
const INSTALL_TIMEOUT = 10 * 60_000;

const npm = (args: string[], cwd: string) => run('npm', args, cwd);

/** A TCP port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface ScenarioResult {
  exporters?: string[];
  output?: string;
  requests?: { path: string; contentType: string; toolSpan: boolean }[];
  refused?: { code: string; message: string };
  grpcLoaded: boolean;
  otel: { api?: string; sdkNode?: string; sdkTrace?: string };
}

let scratch = '';
let tarballs: string[] = [];

beforeAll(async () => {
  for (const pkg of ['core', 'otel']) {
    if (!existsSync(join(root, 'packages', pkg, 'dist', 'index.js'))) {
      throw new Error(`packages/${pkg} is not built: run \`npx turbo run build\` (npm test builds first)`);
    }
  }
  scratch = await mkdtemp(join(tmpdir(), 'writ-otel-consumers-'));
  tarballs = [...(await packPackages(['@writ/core', '@writ/otel'], scratch)).values()];
}, INSTALL_TIMEOUT);

afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

describe.each([
  ['otel-current', '3.x: api 1.10, sdk-node 0.30x'],
  ['otel-previous', 'the last 2.x: api 1.9, sdk-node 0.223'],
  ['otel-floor', 'the oldest accepted: api 1.9, sdk-node 0.220'],
  ['otel-none', 'none of its own: the newest the ranges accept'],
])('@writ/otel installed beside OpenTelemetry JS %s (%s)', (fixture) => {
  let project = '';
  let install: Run = { code: -1, stdout: '', stderr: '' };

  beforeAll(async () => {
    project = join(scratch, fixture);
    await cp(join(here, fixture), project, { recursive: true });
    await cp(join(here, 'scripts'), project, { recursive: true });
    install = await npm(['install', '--no-audit', '--no-fund', '--loglevel=warn', ...tarballs], project);
  }, INSTALL_TIMEOUT);

  const scenario = async (script: string, env: Record<string, string> = {}) => {
    const ran = await run(process.execPath, ['--import', './loads.mjs', script], project, cleanEnv(env));
    expect(ran.code, ran.stderr).toBe(0);
    const lines = ran.stdout.trim().split('\n');
    return { result: JSON.parse(lines.at(-1) ?? '{}') as ScenarioResult, stderr: ran.stderr };
  };

  it('installs cleanly: no ERESOLVE, `npm ls` valid, one copy of each OpenTelemetry SDK package', async () => {
    const output = `${install.stdout}\n${install.stderr}`;
    expect(install.code, output).toBe(0);
    expect(output.match(/ERESOLVE/g) ?? []).toEqual([]);

    const ls = await npm(['ls', '--all', '--json'], project);
    expect(ls.code, ls.stderr).toBe(0);
    const tree = JSON.parse(ls.stdout) as { problems?: string[] };
    expect(tree.problems ?? []).toEqual([]);

    const packages = await installedPackages(project);
    const copies = (name: string) => packages.filter((p) => p.name === name).length;
    for (const name of ['api', 'core', 'sdk-trace', 'sdk-node', 'resources', 'context-async-hooks']) {
      expect(copies(`@opentelemetry/${name}`), `@opentelemetry/${name}`).toBe(1);
    }
    expect(copies('@opentelemetry/sdk-trace-base')).toBeLessThanOrEqual(1);
    expect(copies('@writ/otel')).toBe(1);

    const bytes = await sizeOf(join(project, 'node_modules'));
    const warnings = npmWarnings(install);
    console.log(
      `${fixture}: ${packages.length} packages, ${megabytes(bytes)} in node_modules; ` +
        `ERESOLVE 0; sdk-trace-base copies ${copies('@opentelemetry/sdk-trace-base')}; npm warnings: ${
          warnings.length === 0 ? 'none' : `\n  ${warnings.join('\n  ')}`
        }`,
    );
  });

  it.each([
    ['ESM', 'check.mjs'],
    ['CommonJS', 'check.cjs'],
  ])(
    'exports a Writ span over http/protobuf from %s, warns on stderr, and leaves gRPC unloaded',
    async (_kind, script) => {
      const { result, stderr } = await scenario(script, { OTEL_TRACES_EXPORTER: 'none,otlp' });
      expect(result.output).toBe('pong');
      expect(result.exporters).toEqual(['otlp']);
      expect(result.requests).toEqual([
        { path: '/v1/traces', contentType: 'application/x-protobuf', toolSpan: true },
      ]);
      expect(result.grpcLoaded).toBe(false);
      expect(stderr).toContain(
        'WritTelemetryWarning: @writ/otel: OTEL_TRACES_EXPORTER lists "none" with other exporters; exporting to otlp',
      );
      console.log(`${fixture} (${script}): OpenTelemetry ${JSON.stringify(result.otel)}`);
    },
  );

  it('exports over http/json when OTEL_EXPORTER_OTLP_PROTOCOL says so', async () => {
    const { result } = await scenario('check.mjs', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(result.requests).toEqual([
      { path: '/v1/traces', contentType: 'application/json', toolSpan: true },
    ]);
  });

  it('loads the gRPC exporter (and @grpc/grpc-js) when grpc is chosen', async () => {
    const port = await closedPort();
    const { result } = await scenario('check.mjs', {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    });
    expect(result.exporters).toEqual(['otlp']);
    expect(result.output).toBe('pong'); // a failed export never reaches the tool call
    expect(result.grpcLoaded).toBe(true);
  });

  it('refuses OTEL_TRACES_EXPORTER=zipkin at start, with a typed error naming the supported values', async () => {
    const { result } = await scenario('check.cjs', { OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(result.refused?.code).toBe('WRIT_OPTIONS_INVALID');
    expect(result.refused?.message).toContain(
      'OTEL_TRACES_EXPORTER has "zipkin", which the preset does not support; supported values: otlp, console, none',
    );
  });

  it("type-checks against this line's own SDK types", async () => {
    const tsc = await run(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      project,
    );
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
  });
});
