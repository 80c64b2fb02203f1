// Package hygiene (issue 19 item 12): every published package ships the Apache-2.0 LICENSE and a README
// (what, install, one example, where the docs are), and declares the Node versions of the one engines
// policy written down in docs/contributing.md ("Node.js versions").
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The engines policy (docs/contributing.md): runtime packages from Node 20.19; adapters as their frameworks. */
const RUNTIME_NODE = '^20.19.0 || >=22.12.0';
const ADAPTER_NODE: Record<string, string> = {
  '@writ/ai-sdk': '>=22.12.0', // AI SDK 7: Node 22
  '@writ/langchain': '>=22.12.0',
  '@writ/openai-agents': '>=22.12.0',
  '@writ/mcp': '>=22.12.0',
  '@writ/mastra': '>=22.13.0', // @mastra/core: 22.13
  '@writ/google-adk': '>=22.12.0',
  '@writ/claude-agent-sdk': '>=22.12.0',
  '@writ/genkit': '>=22.12.0',
  '@writ/strands': '>=22.12.0',
};

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

const packages = readdirSync(join(ROOT, 'packages'))
  .sort()
  .map((dir) => ({
    dir: join(ROOT, 'packages', dir),
    manifest: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
  }))
  .filter((p) => p.manifest.private !== true);
const byName = new Map(packages.map((p) => [p.manifest.name, p.manifest]));
const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');

describe('package hygiene', () => {
  it('the repository is licensed Apache-2.0, with the full standard text at the root', () => {
    expect(license).toMatch(
      /^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//,
    );
    expect(license).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license.split('\n').length).toBeGreaterThan(200);
    expect(packages.length).toBe(18); // with @writ/coding-policy, @writ/google-adk, @writ/claude-agent-sdk, @writ/genkit and @writ/strands (issue 22)
  });

  it.each(packages.map((p) => [p.manifest.name, p] as const))(
    '%s: LICENSE (the root one), a README with install, an example and the docs, both in `files`',
    (_name, { dir, manifest }) => {
      expect(manifest.license).toBe('Apache-2.0');
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(license);
      expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'README.md']));
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(readme.startsWith(`# ${manifest.name}\n`) || readme.includes(`\n# ${manifest.name}\n`)).toBe(
        true,
      );
      expect(readme).toMatch(/```sh\n(npm install [^\n]+\n)+/);
      expect(readme).toMatch(new RegExp(`npm install [^\\n]*${manifest.name.replace('/', '\\/')}\\b`));
      expect(readme).toMatch(/```ts\n[\s\S]+?```/);
      expect(readme).toMatch(/\]\((https:\/\/github\.com\/writ-dev\/writ\/blob\/main\/)?docs\//);
    },
  );

  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))(
    '%s: engines follows the policy, and no dependency needs a newer Node',
    (name, manifest) => {
      const expected = ADAPTER_NODE[name] ?? RUNTIME_NODE;
      expect(manifest.engines).toEqual({ node: expected });
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const floor = byName.get(dependency)?.engines?.node;
        if (floor !== undefined) expect([RUNTIME_NODE, expected], `${name} → ${dependency}`).toContain(floor);
      }
    },
  );

  it('`npm pack` puts LICENSE, README.md and package.json in every tarball', () => {
    const packed = JSON.parse(
      execFileSync(
        'npm',
        ['pack', '--dry-run', '--json', ...packages.flatMap((p) => ['--workspace', p.manifest.name])],
        { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ),
    ) as { name: string; files: { path: string }[] }[];
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => p.manifest.name).sort());
    for (const tarball of packed) {
      const paths = tarball.files.map((f) => f.path);
      expect(paths, tarball.name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    }
  });
});
