import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { DetailedError } from '@cedar-policy/cedar-wasm/nodejs';
import { WritError } from '@writ/core';
import { cedarWasm } from './cedar-wasm.js';

/** The values `@approval(…)` takes: a human approval, or one by a verified approver. */
const APPROVALS: ReadonlySet<string> = new Set(['required', 'verified']);

/** One `.cedar` file's text (from disk or given inline). */
export interface PolicyFile {
  readonly name: string;
  readonly text: string;
}

/** Policies ready for Cedar, keyed by stable ids `<file>#<@id or index>`. */
export interface LoadedPolicies {
  readonly policies: Record<string, string>;
  readonly annotations: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Where each policy starts, for error locations. */
  readonly origins: ReadonlyMap<string, { file: string; offset: number; text: string }>;
}

/** Line and column (1-based) of an offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** The `WritError` for a policy problem, located at `file:line:column`. */
export function policyError(
  what: string,
  error: DetailedError | undefined,
  file: string,
  text: string,
  base = 0,
  policyId?: string,
): WritError {
  const offset = base + (error?.sourceLocations?.[0]?.start ?? 0);
  const { line, column } = lineColumn(text, offset);
  const message = error?.message ?? 'unknown error';
  return new WritError(
    'WRIT_POLICY_INVALID',
    `${what}: ${file}:${line}:${column}: ${message}${error?.help ? ` (${error.help})` : ''}`,
    {
      details: { file, line, column, message, ...(policyId === undefined ? {} : { policyId }) },
    },
  );
}

/** Reads `.cedar` files from files and directories (non-recursive), sorted by name for stable ids. */
export async function readPolicyFiles(paths: readonly string[]): Promise<PolicyFile[]> {
  const files: PolicyFile[] = [];
  for (const path of paths) {
    const full = resolve(path);
    const info = await stat(full).catch((cause: unknown) => {
      throw new WritError('WRIT_POLICY_INVALID', `policy path ${path} cannot be read`, {
        cause,
        details: { file: path },
      });
    });
    const names = info.isDirectory()
      ? (await readdir(full))
          .filter((n) => extname(n) === '.cedar')
          .sort()
          .map((n) => join(full, n))
      : [full];
    for (const name of names) files.push({ name, text: await readFile(name, 'utf8') });
  }
  return files;
}

/**
 * Splits policy files into individual policies keyed by `<file base name>#<@id annotation>` (or
 * `#<index>` without one), reporting parse errors at `file:line:column`. Duplicate ids are refused.
 */
export function splitPolicies(files: readonly PolicyFile[]): LoadedPolicies {
  const policies: Record<string, string> = {};
  const annotations = new Map<string, Record<string, string>>();
  const origins = new Map<string, { file: string; offset: number; text: string }>();
  for (const file of files) {
    const label = basename(file.name);
    const parsed = cedarWasm().checkParsePolicySet({ staticPolicies: file.text });
    if (parsed.type === 'failure')
      throw policyError('policy does not parse', parsed.errors[0], file.name, file.text);
    const parts = cedarWasm().policySetTextToParts(file.text);
    if (parts.type === 'failure')
      throw policyError('policy does not parse', parts.errors[0], file.name, file.text);
    if (parts.policy_templates.length > 0) {
      throw new WritError('WRIT_POLICY_INVALID', `${file.name}: policy templates are not supported`, {
        details: { file: file.name },
      });
    }
    let cursor = 0;
    parts.policies.forEach((text, index) => {
      const found = file.text.indexOf(text, cursor);
      const offset = found === -1 ? 0 : found;
      cursor = found === -1 ? cursor : found + text.length;
      const json = cedarWasm().policyToJson(text);
      const notes = json.type === 'success' ? { ...(json.json.annotations ?? {}) } : {};
      const id = `${label}#${notes.id ?? index}`;
      if (id in policies) {
        const { line, column } = lineColumn(file.text, offset);
        throw new WritError(
          'WRIT_POLICY_INVALID',
          `duplicate policy id ${id} at ${file.name}:${line}:${column}`,
          {
            details: { file: file.name, line, column, policyId: id },
          },
        );
      }
      if (notes.approval !== undefined && !APPROVALS.has(notes.approval)) {
        // a typo here would silently turn "ask a human" into "allow": refuse it at load
        const { line, column } = lineColumn(file.text, offset);
        throw new WritError(
          'WRIT_POLICY_INVALID',
          `${file.name}:${line}:${column}: @approval("${notes.approval}") is not one of ${[...APPROVALS].map((a) => `"${a}"`).join(', ')}`,
          { details: { file: file.name, line, column, policyId: id } },
        );
      }
      policies[id] = text;
      annotations.set(id, notes);
      origins.set(id, { file: file.name, offset, text: file.text });
    });
  }
  return { policies, annotations, origins };
}

/** Checks a schema's syntax, reporting `file:line:column`. */
export function checkSchema(text: string, file: string): void {
  const parsed = cedarWasm().checkParseSchema(text);
  if (parsed.type === 'failure') throw policyError('schema does not parse', parsed.errors[0], file, text);
}
