import { WritError } from './errors.js';

/**
 * A hook that runs around the rest of a chain: it gets the state and `next`, and returns what `next`
 * returned (or something in its place). Middleware hooks (`wrapDecide`, `wrapExecute`) are hooks.
 *
 * @example
 * ```ts
 * const timed: Hook<CallState, unknown> = async (state, next) => {
 *   const started = performance.now();
 *   try {
 *     return await next();
 *   } finally {
 *     console.log(state.call.name, `${(performance.now() - started).toFixed(1)} ms`);
 *   }
 * };
 * const timing: WritMiddleware = { name: 'timing', wrapExecute: timed };
 * ```
 */
export type Hook<S, R> = (state: S, next: () => Promise<R>) => Promise<R>;

/**
 * Composes hooks around an innermost step. The first hook is outermost. A hook that calls `next()`
 * twice gets a rejected promise (`WRIT_MIDDLEWARE_INVALID`) instead of running the rest twice.
 *
 * @example
 * ```ts
 * const run = compose<{ n: number }, number>([async (s, next) => (await next()) + 1], async (s) => s.n);
 * await run({ n: 1 }); // 2
 * ```
 */
export function compose<S, R>(
  hooks: readonly Hook<S, R>[],
  inner: (state: S) => Promise<R>,
): (state: S) => Promise<R> {
  if (hooks.length === 0) return inner;
  return (state: S) => {
    let index = -1;
    const dispatch = (i: number): Promise<R> => {
      if (i <= index) {
        return Promise.reject(
          new WritError('WRIT_MIDDLEWARE_INVALID', 'a middleware hook called next() more than once', {
            details: { position: i - 1 },
          }),
        );
      }
      index = i;
      const hook = hooks[i];
      if (hook === undefined) return inner(state);
      try {
        return Promise.resolve(hook(state, () => dispatch(i + 1)));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
