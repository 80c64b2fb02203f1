import type { StandardSchemaV1 } from './standard-schema.js';
import { defineTool } from './tool-definition.js';
import { type AttributionOptions, callAttributed } from './with-attribution.js';

/**
 * Options of {@link attributed}; `name` defaults to the method name.
 *
 * @example
 * ```ts
 * const lookupOptions: AttributedOptions = { risk: 'low', annotations: { readOnly: true } };
 * class Orders {
 *   @attributed(lookupOptions) // the tool is named 'lookup_order', after the method
 *   async lookup_order(args: { orderId: string }) {
 *     return db.orders.get(args.orderId);
 *   }
 * }
 * ```
 */
export type AttributedOptions<S extends StandardSchemaV1 = StandardSchemaV1> = Omit<
  AttributionOptions<S>,
  'name'
> & {
  name?: string;
};

/**
 * TC39 standard method decorator (TypeScript 5+, no `experimentalDecorators`): every call of the
 * method passes through the Writ pipeline. The method must be async; its first parameter is the tool
 * arguments (validated against `input` when given). Read the credential with `getToolContext()`.
 *
 * @example
 * ```ts
 * class Orders {
 *   @attributed({ name: 'lookup_order', input: z.object({ orderId: z.string() }), risk: 'low' })
 *   async lookup(args: { orderId: string }) {
 *     return db.orders.get(args.orderId);
 *   }
 * }
 * ```
 */
export function attributed<S extends StandardSchemaV1 = StandardSchemaV1>(
  options: AttributedOptions<S> = {},
) {
  return function decorate<This, A, Rest extends unknown[], R extends Promise<unknown>>(
    method: (this: This, args: A, ...rest: Rest) => R,
    context: ClassMethodDecoratorContext<This, (this: This, args: A, ...rest: Rest) => R>,
  ): (this: This, args: A, ...rest: Rest) => R {
    if (context.kind !== 'method') throw new TypeError('@attributed can only decorate methods');
    const name = options.name ?? String(context.name);
    const def = defineTool({ ...options, name } as never, '@attributed');
    const explicit = options.writ;
    return function (this: This, args: A, ...rest: Rest): R {
      return callAttributed(
        explicit,
        def,
        args,
        {},
        (validated) => method.call(this, validated as A, ...rest),
        '@attributed',
      ) as R;
    };
  };
}
