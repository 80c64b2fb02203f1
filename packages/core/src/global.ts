import type { Config } from './config.js';
import { tryGetTaskState } from './context.js';
import { WritError } from './errors.js';
import { configOf, type Writ } from './writ.js';

const GLOBAL = Symbol.for('writ.global');
type GlobalHolder = { [GLOBAL]?: Writ | undefined };

/**
 * Registers the Writ instance that `withAttribution` functions and `@attributed` methods use when
 * they are called outside any task and were not given `writ` explicitly. Pass `undefined` to clear.
 *
 * @example
 * ```ts
 * const writ = createWrit({ ... });
 * setGlobalWrit(writ);
 * ```
 */
export function setGlobalWrit(writ: Writ | undefined): void {
  if (writ !== undefined && configOf(writ) === undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'setGlobalWrit: expected an instance returned by createWrit()',
    );
  }
  (globalThis as GlobalHolder)[GLOBAL] = writ;
}

/**
 * The globally registered Writ instance, if any.
 *
 * @example
 * ```ts
 * const writ = getGlobalWrit() ?? createWrit({ ... });
 * ```
 */
export function getGlobalWrit(): Writ | undefined {
  return (globalThis as GlobalHolder)[GLOBAL];
}

/** The instance a free function runs on: explicit, else the active task's, else the global one. */
export function resolveConfig(explicit: Writ | undefined, what: string): Config {
  const config = configOf(explicit) ?? configOf(tryGetTaskState()?.writ) ?? configOf(getGlobalWrit());
  if (config === undefined) {
    throw new WritError(
      'WRIT_NOT_CONFIGURED',
      `${what} was called outside writ.task() with no Writ instance: pass { writ } in its options or call setGlobalWrit()`,
    );
  }
  return config;
}
