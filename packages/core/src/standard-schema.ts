/**
 * The Standard Schema v1 interface (standardschema.dev), which zod ≥ 3.24, valibot and arktype implement.
 * Tool inputs accept any such schema; zod is what the docs use.
 *
 * @example
 * ```ts
 * // a hand-written schema works like a zod one
 * const orderInput: StandardSchemaV1<{ orderId: string }> = {
 *   '~standard': {
 *     version: 1,
 *     vendor: 'example',
 *     validate: (value) =>
 *       typeof (value as { orderId?: unknown } | null)?.orderId === 'string'
 *         ? { value: value as { orderId: string } }
 *         : { issues: [{ message: 'orderId must be a string', path: ['orderId'] }] },
 *   },
 * };
 * const lookup = createWrit({ policy, audit }).tool({ name: 'lookup_order', input: orderInput, execute: ({ orderId }) => db.orders.get(orderId) });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export declare namespace StandardSchemaV1 {
  type Result<Output> =
    | { readonly value: Output; readonly issues?: undefined }
    | { readonly issues: ReadonlyArray<Issue> };
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  }
  type InferInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
  type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
}

/**
 * Whether a value is a Standard Schema (zod ≥ 3.24, valibot, arktype…): an object whose `~standard`
 * member has a `validate` function.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * isStandardSchema(z.object({ orderId: z.string() })); // true
 * isStandardSchema({ type: 'object' }); // false: a JSON Schema is not one
 * ```
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function'
  );
}
