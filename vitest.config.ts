import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { defineConfig, type Plugin } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Vite 8's Oxc transformer only lowers legacy (experimentalDecorators) decorators. Writ ships TC39
// standard decorators, so files that use decorator syntax go through esbuild, which lowers them.
const tc39Decorators: Plugin = {
  name: 'writ:tc39-decorators',
  enforce: 'pre',
  async transform(code, id) {
    if (!id.endsWith('.ts') || id.includes('/node_modules/') || !/^\s*@[A-Za-z_$]/m.test(code)) return null;
    const out = await transform(code, {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      sourcemap: true,
      sourcefile: id,
      tsconfigRaw: {
        compilerOptions: {
          experimentalDecorators: false,
          verbatimModuleSyntax: true,
          useDefineForClassFields: true,
        },
      },
    });
    return { code: out.code, map: out.map };
  },
};

export default defineConfig({
  plugins: [tc39Decorators],
  resolve: {
    // Tests import packages by their public names; resolve them to source so failures point at .ts lines.
    // test/build/ checks the built ESM + CJS artifacts separately.
    alias: [
      { find: /^@writ\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@writ\/core\/adapter$/, replacement: src('core/src/adapter-kit.ts') },
      { find: /^@writ\/core\/plugin$/, replacement: src('core/src/plugin.ts') },
      { find: /^@writ\/core\/internal$/, replacement: src('core/src/internal.ts') },
      { find: /^@writ\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@writ\/identity$/, replacement: src('identity/src/index.ts') },
      { find: /^@writ\/policy$/, replacement: src('policy/src/index.ts') },
      { find: /^@writ\/coding-policy$/, replacement: src('coding-policy/src/index.ts') },
      { find: /^@writ\/postgres$/, replacement: src('postgres/src/index.ts') },
      { find: /^@writ\/audit\/internal$/, replacement: src('audit/src/internal.ts') },
      { find: /^@writ\/audit$/, replacement: src('audit/src/index.ts') },
      { find: /^@writ\/otel\/testing$/, replacement: src('otel/src/testing.ts') },
      { find: /^@writ\/otel$/, replacement: src('otel/src/index.ts') },
      { find: /^@writ\/cli$/, replacement: src('cli/src/index.ts') },
      { find: /^writ$/, replacement: src('writ/src/index.ts') },
      { find: /^@writ\/ai-sdk$/, replacement: src('ai-sdk/src/index.ts') },
      { find: /^@writ\/langchain$/, replacement: src('langchain/src/index.ts') },
      { find: /^@writ\/openai-agents$/, replacement: src('openai-agents/src/index.ts') },
      { find: /^@writ\/mcp\/v2$/, replacement: src('mcp/src/v2/index.ts') },
      { find: /^@writ\/mcp$/, replacement: src('mcp/src/index.ts') },
      { find: /^@writ\/mastra$/, replacement: src('mastra/src/index.ts') },
      { find: /^@writ\/google-adk$/, replacement: src('google-adk/src/index.ts') },
      { find: /^@writ\/claude-agent-sdk$/, replacement: src('claude-agent-sdk/src/index.ts') },
      { find: /^@writ\/genkit$/, replacement: src('genkit/src/index.ts') },
      { find: /^@writ\/strands$/, replacement: src('strands/src/index.ts') },
      // Strands' optional peers (openai 6, @ai-sdk/provider 3…) clash with the workspace's, so npm keeps a
      // copy per workspace; one copy for every test (Strands keys hooks by the event classes)
      {
        find: /^@strands-agents\/sdk$/,
        replacement: src('strands/node_modules/@strands-agents/sdk/dist/src/index.node.js'),
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    // test/bench/ holds the benchmark suite (`npm run bench`); only its smoke test runs here
    exclude: ['**/node_modules/**', '**/dist/**'],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
