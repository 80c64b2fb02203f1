import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import type { ActionFactory } from '../program.js';

interface DemoFlags {
  dir: string;
}

/**
 * Registers `writ demo [--dir <dir>] [--json]`, which runs `runDemo` from `../demo.js` with the program's
 * streams; its result is the exit code.
 *
 * @example
 * ```ts
 * registerDemoCommand(program, action);
 * ```
 */
export function registerDemoCommand(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description('run a scripted multi-agent task against the embedded defaults and show its audit trail')
    .option('--dir <dir>', 'where the demo keeps its keys and audit log', '.writ')
    .option('--json', 'print one JSON document on stdout')
    .action(action(runDemoCommand));
}

async function runDemoCommand(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<DemoFlags>();
  const { runDemo } = await import('../demo/run-demo.js'); // loaded on demand: the zero-config Writ runtime and the AI SDK are heavy
  return runDemo({
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    json: ctx.json,
    dir: ctx.path(flags.dir),
    colors: ctx.out,
  });
}
