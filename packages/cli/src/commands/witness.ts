import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

/**
 * `writ witness keygen | serve`: a small C2SP tlog-witness that cosigns Writ checkpoints (and any log
 * speaking https://c2sp.org/tlog-witness).
 */

/** `WITNESS_KEY_FILE` of `@writ/audit`, spelled out so that `writ --help` need not load it. */
const KEY_FILE = 'witness.witness-key';
const DEFAULTS = { keyDir: '.writ/witness', host: '127.0.0.1', port: 7380 } as const;

/**
 * The `--json` output of `writ witness keygen`.
 *
 * @example
 * ```ts
 * const { verifierKey } = JSON.parse(stdout) as WitnessKeygenJson;
 * ```
 */
export interface WitnessKeygenJson {
  /** The signer key file written (mode 0600). */
  readonly keyFile: string;
  readonly name: string;
  /** The witness's verifier key (type 0x04): give it to logs (`witnesses`) and verifiers (`--witness`). */
  readonly verifierKey: string;
}

/**
 * The first line `writ witness serve --json` prints once it listens (then one JSON line per request).
 *
 * @example
 * ```ts
 * const { url, verifierKey } = JSON.parse(firstLine) as WitnessServeJson;
 * ```
 */
export interface WitnessServeJson {
  /** The submission prefix: logs POST `${url}/add-checkpoint`. */
  readonly url: string;
  readonly verifierKey: string;
  /** Origins of the logs it cosigns. */
  readonly logs: readonly string[];
}

interface WitnessFlags {
  keyDir: string;
  name?: string;
  stateDir?: string;
  host: string;
  port: number;
  log?: string[];
}

/**
 * Registers `writ witness keygen --name <name> [--key-dir <dir>]` and `writ witness serve --log
 * <origin>=<vkey>… [--key-dir <dir>] [--state-dir <dir>] [--host 127.0.0.1] [--port 7380]`.
 *
 * @example
 * ```ts
 * registerWitnessCommand(program, action);
 * ```
 */
export function registerWitnessCommand(program: Command, action: ActionFactory): void {
  const witness = program
    .command('witness')
    .description('run a C2SP tlog-witness that cosigns checkpoints and refuses rollbacks and forks');
  witness
    .command('keygen')
    .description(`make a witness key: writes <key-dir>/${KEY_FILE} (0600), prints its verifier key`)
    .requiredOption('--name <name>', 'the witness name, a schema-less URL by convention (witness.example/w1)')
    .option('--key-dir <dir>', 'where to write the key', DEFAULTS.keyDir)
    .option('--json', 'print one JSON document on stdout')
    .action(action(runKeygen));
  witness
    .command('serve')
    .description('serve POST /add-checkpoint until interrupted (SIGINT, SIGTERM)')
    .option(
      '--log <origin=vkey>',
      'a log to cosign: its origin and checkpoint verifier key (repeat for more logs or keys)',
      collect,
    )
    .option('--key-dir <dir>', `where ${KEY_FILE} is`, DEFAULTS.keyDir)
    .option(
      '--state-dir <dir>',
      'where the latest cosigned checkpoint of each log is kept (default <key-dir>/state)',
    )
    .option('--host <host>', 'address to listen on', DEFAULTS.host)
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, DEFAULTS.port)
    .option('--json', 'print JSON lines on stdout: the address once listening, then one per request')
    .addHelpText(
      'after',
      `
Answers as https://c2sp.org/tlog-witness says: 200 with a cosignature/v1 line; 400 malformed or old size
larger than the checkpoint (a rollback); 403 no signature by the log's key; 404 unknown origin; 409 old size
is not the size it holds (body: that size) or another root at the same size (a fork); 422 the consistency
proof does not verify. Listens on 127.0.0.1 unless --host says otherwise.`,
    )
    .action(action(runServe));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

async function runKeygen(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<WitnessFlags>();
  const { generateWitnessKeys } = await import('@writ/audit');
  const { signerKey, verifierKey } = generateWitnessKeys(flags.name as string);
  const dir = ctx.path(flags.keyDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, KEY_FILE);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(keyFile, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new WritError('WRIT_OPTIONS_INVALID', `${keyFile} already exists: a witness keeps its key`, {
      details: { reason: 'key_exists' },
    });
  }
  try {
    await handle.writeFile(`${signerKey}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const name = flags.name as string;
  if (ctx.json) ctx.printJson({ keyFile, name, verifierKey } satisfies WitnessKeygenJson);
  else {
    ctx.print(`${ctx.out.green('✔')} witness key written to ${safeTerminalText(keyFile)} (keep it secret)`);
    ctx.print(`verifier key: ${safeTerminalText(verifierKey)}`);
  }
  return EXIT_CODES.ok;
}

async function runServe(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<WitnessFlags>();
  const logs = (flags.log ?? []).map((value) => {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1)
      command.error(`error: --log wants <origin>=<verifier key>, got ${safeTerminalText(value)}`, {
        exitCode: EXIT_CODES.usage,
        code: 'writ.usage',
      });
    return { origin: value.slice(0, eq), verifierKey: value.slice(eq + 1) };
  });
  if (logs.length === 0)
    command.error('error: give at least one --log <origin>=<verifier key>', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const { createWitness } = await import('@writ/audit');
  const keyDir = ctx.path(flags.keyDir);
  const witness = await createWitness({
    keyDir,
    stateDir: flags.stateDir === undefined ? join(keyDir, 'state') : ctx.path(flags.stateDir),
    logs,
    onRequest: (e) => {
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(e)}\n`);
      else
        ctx.note(
          `${e.status} ${safeTerminalText(e.origin ?? '-')} old ${e.oldSize ?? '-'} size ${e.size ?? '-'}: ${safeTerminalText(e.reason)}`,
        );
    },
  });
  try {
    const server = await witness.listen({ host: flags.host, port: flags.port });
    const origins = [...new Set(logs.map((l) => l.origin))];
    if (ctx.json)
      ctx.stdout.write(
        `${JSON.stringify({ url: server.url, verifierKey: witness.verifierKey, logs: origins } satisfies WitnessServeJson)}\n`,
      );
    else {
      ctx.print(`witness ${safeTerminalText(witness.verifierKey)}`);
      ctx.print(
        `listening on ${server.url} (POST ${server.url}/add-checkpoint) for ${origins.length} log(s)`,
      );
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    await witness.close();
  }
  return EXIT_CODES.ok;
}
