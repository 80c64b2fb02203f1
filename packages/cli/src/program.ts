import { Command, CommanderError } from 'commander';
import {
  type CommandContext,
  type CommonFlags,
  createCommandContext,
  errorExitCode,
  reportError,
} from './command-context.js';
import { registerApprovalsCommand } from './commands/approvals.js';
import { registerCallsCommand } from './commands/calls.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerExportCommand } from './commands/export.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerPolicyCommand } from './commands/policy.js';
import { registerReportCommand } from './commands/report.js';
import { registerTasksCommand } from './commands/tasks.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerWitnessCommand } from './commands/witness.js';
import { EXIT_CODES } from './exit-codes.js';
import { type CliIo, colorsFor, type ResolvedIo, resolveIo } from './io.js';
import { safeTerminalText } from './terminal-text.js';
import { VERSION } from './version.js';

/**
 * The implementation of one command: gets the run's context and the parsed commander command
 * (positional arguments in `command.args`, options in `command.opts()`), returns the exit code.
 *
 * @example
 * ```ts
 * const hello: CommandHandler = async (ctx) => { ctx.print('hello'); return EXIT_CODES.ok; };
 * ```
 */
export type CommandHandler = (ctx: CommandContext, command: Command) => Promise<number>;

/**
 * Turns a {@link CommandHandler} into a commander action: builds the context, records the exit code, and
 * reports any failure (`code: message`, exit 3, or 6 for a path that is not a Writ log). Usage errors
 * (`command.error()`) pass through.
 *
 * @example
 * ```ts
 * program.command('hello').option('--json').action(action(async (ctx) => { ctx.print('hi'); return 0; }));
 * ```
 */
export type ActionFactory = (handler: CommandHandler) => (...args: unknown[]) => Promise<void>;

/**
 * The `writ` program: the commander command tree, and `run` to execute one command line.
 *
 * @example
 * ```ts
 * const program = createProgram({ stdout, stderr, env: {} });
 * const code = await program.run(['verify', '.writ/audit', '--json']);
 * ```
 */
export interface WritProgram {
  /** The commander root command (for help text, shell completion generators, embedding). */
  readonly command: Command;
  /** Parses and runs `argv` (user arguments only, without `node` and the script), resolving to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/**
 * Creates the `writ` program with injectable output streams, environment and working directory, so it
 * can run in-process (tests, embedding) as well as from the `writ` binary. Commands: `verify`, `explain`,
 * `tasks`, `calls`, `report`, `keys show|export-jwks|rotate`, `policy validate|test`,
 * `approvals list|approve|reject`, `demo`. Exit codes are {@link EXIT_CODES}: 0 ok, 1 check failed, 2
 * usage error, 3 error (the command could not do its work), 4 verified but unanchored, 5 not verified, 6
 * not a Writ log, 7 refused (an approval answer not recorded). Under `--json` every failure, usage
 * errors included, is one JSON object `{ "error": { "code", "message" } }` on stdout.
 *
 * @example
 * ```ts
 * import { createProgram } from '@writ/cli';
 * const code = await createProgram().run(process.argv.slice(2));
 * process.exitCode = code;
 * ```
 */
export function createProgram(io: CliIo = {}): WritProgram {
  const resolved = resolveIo(io);
  const state = { code: EXIT_CODES.ok as number, argv: [] as readonly string[] };
  const action: ActionFactory =
    (handler) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const ctx = createCommandContext(resolved, command.optsWithGlobals<CommonFlags>());
      try {
        state.code = await handler(ctx, command);
      } catch (error) {
        if (error instanceof CommanderError) throw error;
        reportError(ctx, error);
        state.code = errorExitCode(error);
      }
    };
  const command = buildCommand(resolved, action, () => state.argv);
  return {
    command,
    async run(argv) {
      state.code = EXIT_CODES.ok;
      state.argv = argv;
      try {
        await command.parseAsync([...argv], { from: 'user' });
        return state.code;
      } catch (error) {
        if (error instanceof CommanderError) {
          const code = exitCodeOf(error);
          if (code === EXIT_CODES.usage && wantsJson(argv)) reportUsageJson(resolved, error);
          return code;
        }
        // not reachable through actions (they catch); a failure in commander itself
        const ctx = createCommandContext(resolved, { debug: argv.includes('--debug') });
        reportError(ctx, error);
        return EXIT_CODES.error;
      }
    },
  };
}

/** Whether the command line asks for `--json` (before a `--` that ends the options). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * A usage error under `--json`: one JSON object on stdout, `{ "error": { "code": "WRIT_USAGE", "message" } }`,
 * as every other failure is reported there (the text stays on stderr).
 */
function reportUsageJson(io: ResolvedIo, error: CommanderError): void {
  const message = error.message.replace(/^error: /, '');
  io.stdout.write(`${JSON.stringify({ error: { code: 'WRIT_USAGE', message } }, null, 2)}\n`);
}

function exitCodeOf(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_CODES.ok;
  if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  return EXIT_CODES.usage;
}

function buildCommand(io: ResolvedIo, action: ActionFactory, argv: () => readonly string[]): Command {
  const program = new Command('writ');
  const errColors = () => colorsFor(io.stderr, { env: io.env, flag: !argv().includes('--no-color') });
  program
    .description(
      'Verify, explain and report Writ audit logs; manage local keys; validate and test Cedar policies; answer approvals.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--no-color', 'disable colours (also NO_COLOR=1, or when output is not a terminal)')
    .option('--debug', 'print stack traces and causes on errors')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => {
        io.stdout.write(text);
      },
      writeErr: (text) => {
        io.stderr.write(text);
      },
      // usage errors quote the command line: escape each line (a quoted argument cannot recolour or forge one)
      outputError: (text, write) => write(errColors().red(text.split('\n').map(safeTerminalText).join('\n'))),
      getOutHelpWidth: () => (io.stdout as { columns?: number }).columns ?? 100,
      getErrHelpWidth: () => (io.stderr as { columns?: number }).columns ?? 100,
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 verification or policy check failed, 2 usage error, 3 error (unreadable input, I/O),
4 verified with a pinned key but unanchored, 5 not verified (no pinned key, or --unverified), 6 not a
Writ log, 7 refused (approvals approve|reject recorded nothing). Every command takes --json for one
machine-readable JSON document on stdout (a failure, usage errors included, is { "error": { "code",
"message" } }). Text from logs and files is shown escaped.`,
    );
  registerVerifyCommand(program, action);
  registerExplainCommand(program, action);
  registerTasksCommand(program, action);
  registerCallsCommand(program, action);
  registerReportCommand(program, action);
  registerExportCommand(program, action);
  registerKeysCommand(program, action);
  registerPolicyCommand(program, action);
  registerApprovalsCommand(program, action);
  registerWitnessCommand(program, action);
  registerDemoCommand(program, action);
  return program;
}
