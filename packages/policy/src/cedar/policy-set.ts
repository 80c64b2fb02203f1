import { readFile } from 'node:fs/promises';
import { WritError } from '@writ/core';
import { digest } from '@writ/core/plugin';
import { cedarWasm } from './cedar-wasm.js';
import {
  checkSchema,
  type LoadedPolicies,
  type PolicyFile,
  policyError,
  readPolicyFiles,
  splitPolicies,
} from './policy-source.js';

/**
 * A policy set Cedar holds preparsed (with its schema, when there is one), ready for
 * `statefulIsAuthorized`.
 *
 * @internal
 * @example
 * ```ts
 * const set: CedarPolicySet = await loadCedarPolicySet({ paths: ['./policies'], schemaPath: './writ.cedarschema', nextId });
 * Object.keys(set.loaded.policies); // ['default.cedar#read-only-tools', …]
 * ```
 */
export interface CedarPolicySet {
  /** The name Cedar keeps the preparsed policies under. */
  readonly setId: string;
  /** The name Cedar keeps the preparsed schema under; `undefined` without a schema. */
  readonly schemaName: string | undefined;
  readonly loaded: LoadedPolicies;
  /** The schema text the set was validated against (what a worker of the pool preparses too). */
  readonly schemaText: string | undefined;
  /**
   * `sha256:<hex>` of the RFC 8785 canonical JSON of `{ policies: { <policy id>: <text> }, schema }`
   * (`schema` the schema text, or null without one): the version of the set, whatever the file order.
   */
  readonly digest: string;
}

/**
 * Options of {@link loadCedarPolicySet}.
 *
 * @internal
 * @example
 * ```ts
 * const options: LoadCedarPolicySetOptions = { sources: { 'p.cedar': text }, paths: [], schemaText, nextId: () => 'writ-1-1' };
 * ```
 */
export interface LoadCedarPolicySetOptions {
  /** Inline policy files; when given, `paths` is not read. */
  readonly sources?: Readonly<Record<string, string>> | undefined;
  /** `.cedar` files and directories. */
  readonly paths: readonly string[];
  /** Inline schema text; wins over `schemaPath`. */
  readonly schemaText?: string | undefined;
  /** Schema file; `undefined` or `false`: no schema (no validation). */
  readonly schemaPath?: string | false | undefined;
  /** The name to keep this set (and its schema) under in Cedar, asked once the files are read. */
  readonly nextId: () => string;
}

/**
 * Reads the policy files (or takes the inline ones), checks them against the schema in strict mode and
 * preparses both. Cedar's `validate` reports success even when policies fail validation, so any
 * validation error fails the load. Every failure is `WRIT_POLICY_INVALID` naming the file (and line,
 * column and policy id when known); nothing is preparsed for a load that fails validation.
 *
 * @internal
 * @example
 * ```ts
 * const set = await loadCedarPolicySet({ paths: [defaultPolicyPaths().policies], schemaPath: defaultPolicyPaths().schema, nextId: () => 'writ-1-1' });
 * ```
 */
export async function loadCedarPolicySet(options: LoadCedarPolicySetOptions): Promise<CedarPolicySet> {
  const files: PolicyFile[] = options.sources
    ? Object.entries(options.sources).map(([fileName, text]) => ({ name: fileName, text }))
    : await readPolicyFiles(options.paths);
  const loaded = splitPolicies(files);
  let schemaText: string | undefined = options.schemaText;
  let schemaLabel = '(inline schema)';
  const { schemaPath } = options;
  if (schemaText === undefined && typeof schemaPath === 'string') {
    schemaLabel = schemaPath;
    schemaText = await readFile(schemaPath, 'utf8').catch((cause: unknown) => {
      throw new WritError('WRIT_POLICY_INVALID', `schema ${schemaPath} cannot be read`, {
        cause,
        details: { file: schemaPath },
      });
    });
  }
  const id = options.nextId();
  let schemaName: string | undefined;
  if (schemaText !== undefined) {
    validateAgainstSchema(loaded, schemaText, schemaLabel);
    schemaName = id;
    const parsedSchema = cedarWasm().preparseSchema(schemaName, schemaText);
    if (parsedSchema.type === 'failure')
      throw policyError('schema does not parse', parsedSchema.errors[0], schemaLabel, schemaText);
  }
  const parsed = cedarWasm().preparsePolicySet(id, { staticPolicies: loaded.policies });
  if (parsed.type === 'failure')
    throw policyError('policies do not parse', parsed.errors[0], options.paths[0] ?? '(inline)', '');
  return {
    setId: id,
    schemaName,
    loaded,
    schemaText,
    digest: policySetDigest(loaded.policies, schemaText),
  };
}

/** Strict validation of every policy against the schema; the first error fails, located in its file. */
function validateAgainstSchema(loaded: LoadedPolicies, schemaText: string, schemaLabel: string): void {
  checkSchema(schemaText, schemaLabel);
  const answer = cedarWasm().validate({
    schema: schemaText,
    policies: { staticPolicies: loaded.policies },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure')
    throw policyError('schema or policies are invalid', answer.errors[0], schemaLabel, schemaText);
  const first = answer.validationErrors[0];
  if (first !== undefined) {
    const origin = loaded.origins.get(first.policyId);
    throw policyError(
      `policy ${first.policyId} does not validate against the schema`,
      first.error,
      origin?.file ?? schemaLabel,
      origin?.text ?? '',
      origin?.offset ?? 0,
      first.policyId,
    );
  }
}

/**
 * The digest of a policy set: `sha256:<hex>` of the canonical JSON of its policies (by id) and schema
 * text (null without one).
 *
 * @internal
 * @example
 * ```ts
 * policySetDigest({ 'a.cedar#p': 'permit(principal, action, resource);' }, undefined); // 'sha256:…'
 * ```
 */
export function policySetDigest(
  policies: Readonly<Record<string, string>>,
  schemaText: string | undefined,
): string {
  return digest({ policies, schema: schemaText ?? null });
}
