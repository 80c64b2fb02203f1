import { WritError } from './errors.js';

const SCOPE_ITEM = /^(?:\*|[A-Za-z0-9_.\-/]+(?::[A-Za-z0-9_.\-/]+)*(?::\*)?)$/;

/**
 * Whether a scope item is well formed: segments of `[A-Za-z0-9_.-/]` joined by `:`, optionally ending
 * in the wildcard segment `*`; or `*` alone (everything).
 *
 * @example
 * ```ts
 * isValidScopeItem('orders:read'); // true
 * isValidScopeItem('orders:*');    // true
 * isValidScopeItem('orders:*:x');  // false: the wildcard may only end an item
 * ```
 */
export function isValidScopeItem(item: string): boolean {
  return item.length > 0 && item.length <= 256 && SCOPE_ITEM.test(item);
}

/**
 * Whether one granted item covers a requested item. `*` covers everything; `a:*` covers every item
 * under `a:` (including `a:b:*`); otherwise only an identical item covers.
 *
 * @example
 * ```ts
 * scopeItemCovers('orders:*', 'orders:refund'); // true
 * scopeItemCovers('orders:read', 'orders:*');   // false
 * ```
 */
export function scopeItemCovers(granted: string, requested: string): boolean {
  if (granted === '*' || granted === requested) return true;
  if (granted.endsWith(':*')) {
    const prefix = granted.slice(0, -1);
    return requested.length > prefix.length && requested.startsWith(prefix);
  }
  return false;
}

/**
 * Whether `requested` is covered by some item of `granted`.
 *
 * @example
 * ```ts
 * scopeCovers(['orders:read', 'refunds:*'], 'refunds:create'); // true
 * ```
 */
export function scopeCovers(granted: readonly string[], requested: string): boolean {
  for (const item of granted) if (scopeItemCovers(item, requested)) return true;
  return false;
}

/**
 * Whether every item of `child` is covered by `parent`: delegated scope may only narrow.
 *
 * @example
 * ```ts
 * isScopeSubset(['orders:read'], ['orders:*']); // true
 * isScopeSubset(['*'], ['orders:*']);           // false
 * ```
 */
export function isScopeSubset(child: readonly string[], parent: readonly string[]): boolean {
  for (const item of child) if (!scopeCovers(parent, item)) return false;
  return true;
}

/**
 * Validates scope items, throwing `WRIT_OPTIONS_INVALID` that names the bad one. Returns a frozen,
 * de-duplicated copy.
 *
 * @example
 * ```ts
 * parseScope(['orders:read', 'orders:read']); // ['orders:read']
 * ```
 */
export function parseScope(scope: readonly string[], option = 'scope'): readonly string[] {
  for (const item of scope) {
    if (typeof item !== 'string' || !isValidScopeItem(item)) {
      throw new WritError('WRIT_OPTIONS_INVALID', `${option}: invalid scope item ${JSON.stringify(item)}`, {
        details: { option, item: typeof item === 'string' ? item.slice(0, 64) : typeof item },
      });
    }
  }
  return Object.freeze([...new Set(scope)]);
}

/**
 * Narrows a parent scope to a requested one, refusing any widening with `WRIT_SCOPE_EXCEEDED`.
 * Without a request, the parent scope is inherited.
 *
 * @example
 * ```ts
 * narrowScope(['orders:*'], ['orders:read']); // ['orders:read']
 * narrowScope(['orders:read'], ['orders:*']); // throws WRIT_SCOPE_EXCEEDED
 * ```
 */
export function narrowScope(
  parent: readonly string[],
  requested: readonly string[] | undefined,
): readonly string[] {
  if (requested === undefined) return parent;
  const scope = parseScope(requested);
  const exceeded = scope.filter((item) => !scopeCovers(parent, item));
  if (exceeded.length > 0) {
    throw new WritError(
      'WRIT_SCOPE_EXCEEDED',
      `requested scope exceeds the delegating scope: ${exceeded.join(', ')}`,
      {
        details: { requested: [...scope], parent: [...parent], exceeded },
      },
    );
  }
  return scope;
}
