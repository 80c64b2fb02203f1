import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Decision, WritError } from '@writ/core';
import type { DecisionEffect } from '@writ/core/plugin';
import type { CedarEngine, CreateCedarEngineOptions } from '@writ/policy';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { parsePolicyCases, toAuthorizationRequest } from '../policy-cases.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

/**
 * Where a policy problem is, as `writ policy validate` / `test` report it.
 *
 * @example
 * ```ts
 * const e: PolicyErrorJson = { code: 'WRIT_POLICY_INVALID', message: '…', file: 'agents.cedar', line: 3, column: 5 };
 * ```
 */
export interface PolicyErrorJson {
  readonly code: string;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
}

/**
 * The `--json` output of `writ policy validate`.
 *
 * @example
 * ```ts
 * const { ok, policies, error } = JSON.parse(stdout) as PolicyValidateJson;
 * if (!ok) console.error(`${error?.file}:${error?.line}:${error?.column}`);
 * ```
 */
export interface PolicyValidateJson {
  readonly ok: boolean;
  /** Ids of the loaded policies (`<file>#<@id>`), empty when invalid. */
  readonly policies: readonly string[];
  /** The schema validated against (`null` with `--no-schema`). */
  readonly schema: string | null;
  readonly error: PolicyErrorJson | null;
}

/**
 * One case's result in the `--json` output of `writ policy test`: the case, and the `effect`,
 * `policyIds` and `reasons` of the engine's decision.
 *
 * @example
 * ```ts
 * const failing = (JSON.parse(stdout) as PolicyTestJson).cases.filter((c) => !c.pass);
 * ```
 */
export interface PolicyCaseResultJson extends Pick<Decision, 'effect' | 'policyIds' | 'reasons'> {
  readonly name: string;
  readonly expect: DecisionEffect;
  readonly pass: boolean;
  /** Evaluation errors; a case with errors fails whatever it expects. */
  readonly errors: readonly string[];
}

/**
 * The `--json` output of `writ policy test`.
 *
 * @example
 * ```ts
 * const { ok, passed, failed } = JSON.parse(stdout) as PolicyTestJson;
 * ```
 */
export interface PolicyTestJson {
  /** True when every case passed and the policies loaded. */
  readonly ok: boolean;
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly cases: readonly PolicyCaseResultJson[];
  /** Why the policies did not load (then `cases` is empty), else `null`. */
  readonly error: PolicyErrorJson | null;
}

interface PolicyFlags {
  policies?: string[];
  schema?: string | false;
  extendContext?: string;
}

/**
 * Registers `writ policy validate` and `writ policy test <cases.json>` (Cedar, via `createCedarEngine`).
 *
 * @example
 * ```ts
 * registerPolicyCommand(program, action);
 * ```
 */
export function registerPolicyCommand(program: Command, action: ActionFactory): void {
  const policy = program.command('policy').description('validate Cedar policies and test them against cases');
  const common = (cmd: Command) =>
    cmd
      .option(
        '--policies <path...>',
        '.cedar files or directories (default: the policy set shipped with Writ)',
      )
      .option('--schema <file>', '.cedarschema file (default: the Writ schema)')
      .option('--no-schema', 'skip schema validation (not recommended)')
      .option(
        '--extend-context <module>',
        "module (path or package) exporting `extendContext(request)`: context entries for a schema extension, e.g. @writ/coding-policy's facts",
      )
      .option('--json', 'print one JSON document on stdout');
  common(
    policy
      .command('validate')
      .description('load and strictly validate policies against the schema; errors name file:line:column'),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 1 invalid (with file:line:column), 2 usage error, 3 unreadable.',
    )
    .action(action(runValidate));
  common(
    policy
      .command('test')
      .description('decide each case of a cases file and compare with its expected effect')
      .argument('<cases.json>', 'JSON array of { name, request, expect }'),
  )
    .addHelpText(
      'after',
      `
A case is { "name": "…", "request": <partial AuthorizationRequest>, "expect": "allow" | "deny" | "approval_required" }.
Only request.action.name is required; see the @writ/cli README for the defaults.
Exit codes: 0 every case passed, 1 a case failed or the policies are invalid, 2 usage error, 3 unreadable cases file.`,
    )
    .action(action(runTest));
}

/**
 * Loads `--extend-context <module>`: a path (relative to the working directory) or a package name
 * resolved from it; its `extendContext` export (or default export) is the function.
 */
async function loadExtension(
  ctx: CommandContext,
  specifier: string,
): Promise<CreateCedarEngineOptions['extendContext']> {
  const local = specifier.startsWith('.') || isAbsolute(specifier);
  let url: string;
  try {
    url = local
      ? pathToFileURL(ctx.path(specifier)).href
      : pathToFileURL(createRequire(join(ctx.path('.'), 'package.json')).resolve(specifier)).href;
  } catch (cause) {
    throw new WritError('WRIT_INPUT_INVALID', `--extend-context: ${specifier} cannot be found`, { cause });
  }
  const mod = (await import(url)) as { extendContext?: unknown; default?: unknown };
  const fn =
    mod.extendContext ??
    (mod.default as { extendContext?: unknown } | undefined)?.extendContext ??
    mod.default;
  if (typeof fn !== 'function')
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `--extend-context: ${specifier} exports no extendContext function`,
    );
  return fn as CreateCedarEngineOptions['extendContext'];
}

function engineOptions(ctx: CommandContext, flags: PolicyFlags): CreateCedarEngineOptions {
  return {
    ...(flags.policies === undefined ? {} : { policies: flags.policies.map((p) => ctx.path(p)) }),
    ...(flags.schema === undefined
      ? {}
      : { schema: flags.schema === false ? false : ctx.path(flags.schema) }),
  };
}

async function schemaLabel(ctx: CommandContext, flags: PolicyFlags): Promise<string | null> {
  if (flags.schema === false) return null;
  if (flags.schema !== undefined) return ctx.path(flags.schema);
  const { defaultPolicyPaths } = await import('@writ/policy');
  return defaultPolicyPaths().schema;
}

/** A policy that does not load, as a result; rethrows what is not about the policies (unreadable files). */
function policyProblem(error: unknown): PolicyErrorJson {
  if (!WritError.isInstance(error) || error.code !== 'WRIT_POLICY_INVALID') throw error;
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  if (typeof cause?.code === 'string') throw error; // ENOENT, EACCES…: an error (exit 3), not an invalid policy
  const d = error.details;
  return {
    code: error.code,
    message: error.message,
    file: typeof d.file === 'string' ? d.file : null,
    line: typeof d.line === 'number' ? d.line : null,
    column: typeof d.column === 'number' ? d.column : null,
  };
}

function printProblem(ctx: CommandContext, e: PolicyErrorJson): void {
  const c = ctx.out;
  ctx.print(`${c.red(c.bold('✖ policies are invalid'))}`);
  ctx.print(`${c.red(safeTerminalText(e.code))}: ${safeTerminalText(e.message)}`);
  if (e.file !== null && e.line !== null)
    ctx.print(`  --> ${c.cyan(`${safeTerminalText(e.file)}:${e.line}:${e.column ?? 1}`)}`);
}

async function load(
  ctx: CommandContext,
  flags: PolicyFlags,
): Promise<{ engine: CedarEngine; error: null } | { engine: null; error: PolicyErrorJson }> {
  const { createCedarEngine } = await import('@writ/policy');
  const extendContext =
    flags.extendContext === undefined ? undefined : await loadExtension(ctx, flags.extendContext);
  try {
    return {
      engine: await createCedarEngine({
        ...engineOptions(ctx, flags),
        ...(extendContext === undefined ? {} : { extendContext }),
      }),
      error: null,
    };
  } catch (error) {
    return { engine: null, error: policyProblem(error) };
  }
}

async function runValidate(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<PolicyFlags>();
  const { engine, error } = await load(ctx, flags);
  const json: PolicyValidateJson = {
    ok: engine !== null,
    policies: engine === null ? [] : [...engine.policyIds],
    schema: await schemaLabel(ctx, flags),
    error,
  };
  engine?.close();
  if (ctx.json) ctx.printJson(json);
  else if (error !== null) printProblem(ctx, error);
  else {
    const c = ctx.out;
    ctx.print(
      `${c.green(c.bold('✔ valid'))}: ${json.policies.length} polic${json.policies.length === 1 ? 'y' : 'ies'}${json.schema === null ? ' (no schema)' : ` against ${safeTerminalText(json.schema)}`}`,
    );
    // policy ids are `<file>#<@id>`: both come from the policy files
    for (const id of json.policies) ctx.print(`  ${safeTerminalText(id)}`);
  }
  return json.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}

async function runTest(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<PolicyFlags>();
  const file = ctx.path(command.args[0] as string);
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new WritError('WRIT_INPUT_INVALID', `${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const cases = parsePolicyCases(raw);
  const { engine, error } = await load(ctx, flags);
  if (engine === null) {
    const json: PolicyTestJson = { ok: false, total: cases.length, passed: 0, failed: 0, cases: [], error };
    if (ctx.json) ctx.printJson(json);
    else printProblem(ctx, error);
    return EXIT_CODES.failed;
  }
  const results: PolicyCaseResultJson[] = [];
  const signal = new AbortController().signal;
  try {
    for (const c of cases) {
      const decision = await engine.decide(toAuthorizationRequest(c.request), { signal });
      const errors = [...(decision.errors ?? [])];
      results.push({
        name: c.name,
        expect: c.expect,
        effect: decision.effect,
        pass: decision.effect === c.expect && errors.length === 0,
        policyIds: [...decision.policyIds],
        reasons: [...decision.reasons],
        errors,
      });
    }
  } finally {
    engine.close();
  }
  const passed = results.filter((r) => r.pass).length;
  const json: PolicyTestJson = {
    ok: passed === results.length,
    total: results.length,
    passed,
    failed: results.length - passed,
    cases: results,
    error: null,
  };
  if (ctx.json) ctx.printJson(json);
  else {
    const c = ctx.out;
    for (const result of results) {
      const r = {
        ...result,
        name: safeTerminalText(result.name),
        policyIds: result.policyIds.map(safeTerminalText),
        reasons: result.reasons.map(safeTerminalText),
        errors: result.errors.map(safeTerminalText),
      };
      const by = r.policyIds.length ? ` by ${r.policyIds.join(', ')}` : '';
      if (r.pass) ctx.print(`${c.green('✔')} ${r.name} ${c.dim(`→ ${r.effect}${by}`)}`);
      else {
        ctx.print(
          `${c.red('✖')} ${r.name}: expected ${c.bold(r.expect)}, got ${c.bold(c.red(r.effect))}${by}`,
        );
        for (const reason of r.reasons) ctx.print(`    ${c.dim(reason)}`);
        for (const e of r.errors) ctx.print(`    ${c.red(`error: ${e}`)}`);
      }
    }
    const summary = `${json.passed} passed, ${json.failed} failed (${json.total} case${json.total === 1 ? '' : 's'})`;
    ctx.print(json.ok ? c.green(c.bold(summary)) : c.red(c.bold(summary)));
  }
  return json.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}
