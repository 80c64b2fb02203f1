import type { StandardSchemaV1 } from '@writ/core/adapter';

/** Standard Schema with Standard JSON Schema (what Mastra converts every tool schema into). @internal */
export interface SchemaWithJson {
  readonly '~standard': StandardSchemaV1['~standard'] & {
    // methods (not function properties): any library's options type is accepted
    readonly jsonSchema?: {
      input?(options: unknown): Record<string, unknown>;
      output?(options: unknown): Record<string, unknown>;
    };
  };
}

type Result = StandardSchemaV1.Result<unknown>;

/**
 * `a | b` as one Standard Schema with JSON Schema (`anyOf`), for a wrapped tool that suspends (and is
 * resumed) both for its own reasons and for Writ's approvals. `a` is tried first; synchronous when
 * both are. @internal
 */
export function schemaUnion(a: SchemaWithJson, b: SchemaWithJson): SchemaWithJson {
  const second = (value: unknown, first: Result): Result | Promise<Result> => {
    const r = b['~standard'].validate(value);
    const pick = (s: Result): Result =>
      s.issues === undefined
        ? s
        : { issues: [...(first.issues ?? []), ...s.issues] as StandardSchemaV1.Issue[] };
    return r instanceof Promise ? r.then(pick) : pick(r);
  };
  const json = (io: 'input' | 'output') => (options: unknown) => ({
    anyOf: [a, b].map((s) => s['~standard'].jsonSchema?.[io]?.(options) ?? {}),
  });
  return {
    '~standard': {
      version: 1,
      vendor: 'writ',
      validate(value: unknown) {
        const r = a['~standard'].validate(value);
        if (r instanceof Promise)
          return r.then((first) => (first.issues === undefined ? first : second(value, first)));
        return r.issues === undefined ? r : second(value, r);
      },
      jsonSchema: { input: json('input'), output: json('output') },
    },
  };
}
