import { createRequire } from 'node:module';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';

let loaded: typeof CedarWasm | undefined;

/**
 * Cedar's WebAssembly build, loaded on first use rather than when `@writ/policy` (or `writ`) is
 * imported: loading it compiles a 4 MB WebAssembly module, which applications that never decide with
 * Cedar (AuthZEN, OPA) and `import 'writ'` alone should not pay for. Synchronous (its Node build is
 * CommonJS), so the engine's API stays as it is.
 *
 * @example
 * ```ts
 * const answer = cedarWasm().statefulIsAuthorized(call);
 * ```
 * @internal
 */
export function cedarWasm(): typeof CedarWasm {
  loaded ??= createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof CedarWasm;
  return loaded;
}
