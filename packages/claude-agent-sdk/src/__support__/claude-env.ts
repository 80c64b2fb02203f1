import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Options } from '@anthropic-ai/claude-agent-sdk';

/** A temp HOME and workspace for one offline Claude Code run, and the `options.env` that points it at the scripted model. */
export interface ClaudeSandbox {
  readonly home: string;
  readonly workspace: string;
  /** `options.env` (it replaces the whole environment of the CLI). */
  env(baseUrl: string): Record<string, string>;
  /** `query()` options for an offline run against the scripted model at `baseUrl`, plus `extra`. */
  options(baseUrl: string, extra?: Options): Options;
  remove(): Promise<void>;
}

/**
 * Creates a sandbox for the real Claude Code loop: a temp `HOME` and `CLAUDE_CONFIG_DIR`, a workspace
 * directory, and an environment with `PATH`, `ANTHROPIC_BASE_URL` (the scripted model on loopback),
 * `ANTHROPIC_API_KEY=dummy` and `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` (no DNS lookups, no extra
 * requests).
 */
export async function createClaudeSandbox(): Promise<ClaudeSandbox> {
  const root = await mkdtemp(join(tmpdir(), 'writ-claude-'));
  const home = join(root, 'home');
  const workspace = join(root, 'workspace');
  await mkdir(home, { recursive: true });
  await mkdir(workspace, { recursive: true });
  const env = (baseUrl: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'dummy',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });
  return {
    home,
    workspace,
    env,
    options: (baseUrl, extra = {}) => ({
      cwd: workspace,
      env: env(baseUrl),
      settingSources: [],
      persistSession: false,
      ...extra,
    }),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
