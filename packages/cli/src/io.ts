import { resolve } from 'node:path';
import { validateOptions } from '@writ/core/internal';
import pc from 'picocolors';
import { z } from 'zod';

/**
 * Where the CLI reads and writes. Everything is injectable so a test (or a host application) can run
 * `writ` in-process and capture its output.
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: { NO_COLOR: '1' }, cwd: '/srv/app' };
 * ```
 */
export interface CliIo {
  /** Machine and human output. @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** Diagnostics, warnings and progress bars. @default process.stderr */
  stderr?: NodeJS.WritableStream;
  /** Environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory that relative paths are resolved against. @default process.cwd() */
  cwd?: string;
}

/**
 * {@link CliIo} with every default applied.
 *
 * @example
 * ```ts
 * const { stdout, cwd }: ResolvedIo = resolveIo();
 * ```
 */
export interface ResolvedIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/**
 * The colour functions of picocolors (all identity functions when colour is off).
 *
 * @example
 * ```ts
 * const c: Colors = colorsFor(process.stdout, { env: process.env, flag: true });
 * console.log(c.red('✖ deny'));
 * ```
 */
export type Colors = ReturnType<typeof pc.createColors>;

const stream = z.custom<NodeJS.WritableStream>(
  (v) => typeof v === 'object' && v !== null && typeof (v as NodeJS.WritableStream).write === 'function',
  { message: 'must be a writable stream' },
);

const ioSchema = z.strictObject({
  stdout: stream.optional(),
  stderr: stream.optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  cwd: z.string().min(1).optional(),
});

/**
 * Applies the defaults of {@link CliIo}; throws `WRIT_OPTIONS_INVALID` naming the bad option.
 *
 * @example
 * ```ts
 * const io = resolveIo({ env: {} }); // process.stdout / process.stderr / process.cwd()
 * ```
 */
export function resolveIo(io: CliIo = {}): ResolvedIo {
  const o = validateOptions(ioSchema, io, 'createProgram') as CliIo;
  return {
    stdout: o.stdout ?? process.stdout,
    stderr: o.stderr ?? process.stderr,
    env: o.env ?? process.env,
    cwd: resolve(o.cwd ?? process.cwd()),
  };
}

/**
 * Whether a stream is an interactive terminal.
 *
 * @example
 * ```ts
 * if (isTty(process.stderr)) showProgressBar();
 * ```
 */
export function isTty(out: NodeJS.WritableStream): boolean {
  return (out as { isTTY?: unknown }).isTTY === true;
}

/**
 * Whether to colour output written to `out`: never with `--no-color`, a non-empty `NO_COLOR` or
 * `TERM=dumb`; always with `FORCE_COLOR` set (other than `0`); otherwise only on a terminal.
 *
 * @example
 * ```ts
 * const colors = pc.createColors(useColor(process.stdout, { env: process.env, flag: true }));
 * ```
 */
export function useColor(
  out: NodeJS.WritableStream,
  options: { env: Readonly<Record<string, string | undefined>>; flag: boolean },
): boolean {
  const { env, flag } = options;
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return isTty(out);
}

/**
 * The colour functions for a stream (see {@link useColor}).
 *
 * @example
 * ```ts
 * const c = colorsFor(process.stdout, { env: process.env, flag: true });
 * console.log(c.green('ok'));
 * ```
 */
export function colorsFor(
  out: NodeJS.WritableStream,
  options: { env: Readonly<Record<string, string | undefined>>; flag: boolean },
): Colors {
  return pc.createColors(useColor(out, options));
}
