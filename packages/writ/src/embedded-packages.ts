import type * as Audit from '@writ/audit';
import type * as Identity from '@writ/identity';
import type * as Policy from '@writ/policy';

/**
 * Which module format this bundle is, set by the build (tsup.config.ts); absent when the source runs
 * directly (tests), which is an ES module.
 */
declare const WRIT_BUILD_FORMAT: 'esm' | 'cjs' | undefined;

/**
 * The packages behind the zero-config runtime's embedded components.
 *
 * @example
 * ```ts
 * const { identity, policy, audit } = await loadEmbeddedPackages();
 * const authority = await identity.createLocalAuthority({ dir: '.writ/keys' });
 * ```
 */
export interface EmbeddedPackages {
  readonly identity: typeof Identity;
  readonly policy: typeof Policy;
  readonly audit: typeof Audit;
}

/**
 * Loads `@writ/identity`, `@writ/policy` and `@writ/audit` when the runtime starts (first use or
 * `writ.ready()`), not when `writ` is imported: `import 'writ'` costs `@writ/core` alone. The CommonJS
 * build requires their CommonJS builds (an `import()` there would load their ES module builds, and with
 * them a second copy of `@writ/core`); the ES module build imports them.
 *
 * @example
 * ```ts
 * const { policy } = await loadEmbeddedPackages();
 * const engine = await policy.createCedarEngine();
 * ```
 */
export async function loadEmbeddedPackages(): Promise<EmbeddedPackages> {
  if (typeof WRIT_BUILD_FORMAT !== 'undefined' && WRIT_BUILD_FORMAT === 'cjs') {
    return {
      identity: require('@writ/identity') as typeof Identity,
      policy: require('@writ/policy') as typeof Policy,
      audit: require('@writ/audit') as typeof Audit,
    };
  }
  const [identity, policy, audit] = await Promise.all([
    import('@writ/identity'),
    import('@writ/policy'),
    import('@writ/audit'),
  ]);
  return { identity, policy, audit };
}
