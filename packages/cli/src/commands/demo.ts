import type { WritError } from '@writ/core';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { missingOptionalPackage } from '../optional-packages.js';
import type { ActionFactory } from '../program.js';

interface DemoFlags {
  dir: string;
}

/**
 * The packages `writ demo` runs on, beyond `@writ/cli`'s own: the zero-config runtime and the Vercel AI
 * SDK with Writ's adapter. They are optional peer dependencies of `@writ/cli`, loaded only by the demo,
 * so that `verify`, `explain` and `report` install and load none of them.
 *
 * @example
 * ```ts
 * console.log(`npm install ${DEMO_PACKAGES.join(' ')}`);
 * ```
 */
export const DEMO_PACKAGES = Object.freeze(['writ', '@writ/ai-sdk', 'ai'] as const);

/**
 * The error for a demo package that is not installed (`WRIT_NOT_CONFIGURED`, details.reason
 * `demo_dependencies_missing`), or `undefined` when `error` is not a demo package missing.
 *
 * @example
 * ```ts
 * try { await import('../demo/run-demo.js'); } catch (error) { throw demoPackageMissing(error) ?? error; }
 * ```
 */
export function demoPackageMissing(error: unknown): WritError | undefined {
  return missingOptionalPackage(error, {
    packages: DEMO_PACKAGES,
    needs: 'writ demo runs its agents on the Vercel AI SDK',
    reason: 'demo_dependencies_missing',
  });
}

/**
 * Registers `writ demo [--dir <dir>] [--json]`, which runs `runDemo` from `../demo.js` with the program's
 * streams; its result is the exit code. The demo and what it runs on are loaded only here.
 *
 * @example
 * ```ts
 * registerDemoCommand(program, action);
 * ```
 */
export function registerDemoCommand(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description(
      `run a scripted multi-agent task against the embedded defaults and show its audit trail (needs ${DEMO_PACKAGES.join(', ')})`,
    )
    .option('--dir <dir>', 'where the demo keeps its keys and audit log', '.writ')
    .option('--json', 'print one JSON document on stdout')
    .action(action(runDemoCommand));
}

async function runDemoCommand(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<DemoFlags>();
  let demo: typeof import('../demo/run-demo.js');
  try {
    demo = await import('../demo/run-demo.js'); // loaded on demand: the zero-config runtime and the AI SDK
  } catch (error) {
    throw demoPackageMissing(error) ?? error;
  }
  return demo.runDemo({
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    json: ctx.json,
    dir: ctx.path(flags.dir),
    colors: ctx.out,
  });
}
