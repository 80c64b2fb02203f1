// Runs one benchmark set-up hot for a while, for a CPU profile:
//
//   node --cpu-prof --cpu-prof-dir=/tmp/writ-prof test/bench/profile.ts core 10
//   node test/bench/profile-summary.ts /tmp/writ-prof/<file>.cpuprofile
//
// Set-ups: core (@writ/core, in-memory policy + discarding sink), memory (zero-config runtime with the
// in-memory policy, file audit), cedar (zero-config runtime, Cedar, file audit), cedar-direct (the
// baseline), strict-c64 (Cedar, strict, 64 calls in flight), strict-c64-pool (the same with Cedar in a
// pool of 2 workers: the main thread's own work per call), authzen (zero-config runtime, AuthZEN engine
// against a local Cerbos, file audit), ai-sdk (the AI SDK loop, mock model, one tool call, no Writ),
// ai-sdk-writ (the same loop, the tool wrapped by @writ/ai-sdk on the core set-up), mcp (the MCP loop of
// the adapters scenario: client.callTool → McpServer under @writ/mcp instrumentServer, on the core set-up),
// mcp-direct (the same loop, its handler calling writ.tool inside writ.task({ agent })). All async
// durability unless named.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { preparsePolicySet, preparseSchema, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { PolicyEngine } from '@writ/core/plugin';
import { createAuthZenEngine, createCedarEngine, defaultPolicyPaths, toCedarRequest } from '@writ/policy';
import { type Cerbos, cerbosBinary, cerbosMapRequest, startCerbos } from './cerbos.ts';
import {
  ARGS,
  type BenchWrit,
  captureRequest,
  createAllowAllPolicy,
  createCoreWrit,
  createFullWrit,
  lookupOrder,
  TempDirs,
} from './fixtures.ts';
import { measureThroughput } from './sampling.ts';
import { mcpLoop } from './scenarios/adapter-loops/mcp.ts';
import { aiSdkLoop, aiSdkTools, writAiSdkTools } from './scenarios/ai-sdk-loop.ts';
import { setUpTracing } from './tracing.ts';

const SETUPS = [
  'core',
  'memory',
  'cedar',
  'cedar-direct',
  'strict-c64',
  'strict-c64-pool',
  'authzen',
  'ai-sdk',
  'ai-sdk-writ',
  'mcp',
  'mcp-direct',
] as const;
type Setup = (typeof SETUPS)[number];

const setup = process.argv[2] as Setup;
const seconds = Number(process.argv[3] ?? 10);
if (!SETUPS.includes(setup)) {
  console.error(`usage: profile.ts <${SETUPS.join('|')}> [seconds]`);
  process.exit(2);
}

const tracing = setUpTracing();
const temps = new TempDirs();
let bench: BenchWrit | undefined;
let cerbos: Cerbos | undefined;
try {
  let calls = 0;
  const until = performance.now() + seconds * 1000;
  if (setup === 'cedar-direct') {
    const request = await captureRequest(await temps.make('capture'));
    const paths = defaultPolicyPaths();
    preparseSchema('s', readFileSync(paths.schema, 'utf8'));
    preparsePolicySet('p', { staticPolicies: readFileSync(paths.policies, 'utf8') });
    while (performance.now() < until) {
      await tracing.tracer.startActiveSpan('execute_tool lookup_order', async (span) => {
        statefulIsAuthorized({
          ...toCedarRequest(request),
          preparsedPolicySetId: 'p',
          preparsedSchemaName: 's',
          validateRequest: true,
        });
        await lookupOrder(ARGS);
        span.end();
      });
      calls++;
    }
  } else if (setup === 'ai-sdk') {
    const loop = aiSdkLoop(aiSdkTools(), false);
    while (performance.now() < until) {
      await loop();
      calls++;
    }
  } else if (setup === 'ai-sdk-writ') {
    const made = createCoreWrit();
    bench = made;
    const loop = aiSdkLoop(writAiSdkTools(made.writ), false);
    await made.inTask(async () => {
      while (performance.now() < until) {
        await loop();
        calls++;
      }
    });
  } else if (setup === 'mcp' || setup === 'mcp-direct') {
    const made = createCoreWrit();
    bench = made;
    const mcp = mcpLoop();
    try {
      const run =
        setup === 'mcp'
          ? await mcp.adapted(made.writ)
          : await mcp.direct((args) => made.tool.execute(args), made.writ);
      while (performance.now() < until) {
        await run();
        calls++;
      }
    } finally {
      await mcp.close?.();
    }
  } else {
    let policy: PolicyEngine | undefined;
    if (setup === 'memory') policy = createAllowAllPolicy();
    if (setup === 'strict-c64-pool') policy = await createCedarEngine({ workers: 2 });
    if (setup === 'authzen') {
      const binary = cerbosBinary();
      if (binary === undefined) throw new Error('@cerbos/cerbos-linux-x64 is not installed');
      cerbos = await startCerbos(binary, 15_000);
      policy = createAuthZenEngine({
        pdp: cerbos.url,
        endpoints: { evaluation: `${cerbos.url}/access/v1/evaluation` },
        mapRequest: cerbosMapRequest,
      });
    }
    const made =
      setup === 'core'
        ? createCoreWrit()
        : await createFullWrit({
            dir: await temps.make('profile'),
            durability: setup.startsWith('strict-c64') ? 'strict' : 'async',
            ...(policy === undefined ? {} : { policy }),
          });
    bench = made;
    await made.inTask(async () => {
      if (setup.startsWith('strict-c64')) {
        calls = (await measureThroughput(() => made.tool.execute(ARGS), 64, seconds * 1000)).calls;
        return;
      }
      while (performance.now() < until) {
        await made.tool.execute(ARGS);
        calls++;
      }
    });
  }
  console.log(`${setup}: ${calls} calls in ${seconds} s (${Math.round(calls / seconds)} calls/s)`);
} finally {
  await bench?.close();
  await cerbos?.close();
  await temps.removeAll();
  await tracing.shutdown();
}
