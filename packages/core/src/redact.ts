/**
 * What a redacted value is replaced with.
 *
 * @example
 * ```ts
 * const safe = redact({ user: 'alice', password: 'hunter2' }, ['password']) as { password: string };
 * safe.password === REDACTED; // true: '[REDACTED]'
 * ```
 */
export const REDACTED = '[REDACTED]';

/**
 * Returns a deep copy of `value` with every value at one of `paths` replaced by `"[REDACTED]"`.
 * Paths are dot-separated keys; `*` matches any key or array index at that level
 * (`card.number`, `*.password`, `items.*.token`). The input is never mutated.
 *
 * @example
 * ```ts
 * redact({ card: { number: '4111…', exp: '12/30' } }, ['card.number']); // { card: { number: '[REDACTED]', exp: '12/30' } }
 * ```
 */
export function redact(value: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return value;
  return walk(
    value,
    paths.map((p) => p.split('.')),
    new Set(),
  );
}

function walk(value: unknown, patterns: string[][], seen: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    const isArray = Array.isArray(value);
    const out: Record<string, unknown> | unknown[] = isArray ? [] : {};
    const source = (
      isArray ? value : typeof (value as { toJSON?: unknown }).toJSON === 'function' ? null : value
    ) as Record<string, unknown> | null;
    if (source === null) return value;
    for (const key of Object.keys(source)) {
      const matching = patterns.filter((p) => p[0] === '*' || p[0] === key);
      if (matching.some((p) => p.length === 1)) {
        (out as Record<string, unknown>)[key] = REDACTED;
        continue;
      }
      const rest = matching.map((p) => p.slice(1));
      (out as Record<string, unknown>)[key] = rest.length === 0 ? source[key] : walk(source[key], rest, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
