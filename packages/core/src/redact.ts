/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Returns a copy of plain JSON data with every value at one of `paths` replaced by `"[REDACTED]"`. Paths
 * are dot-separated keys; `*` matches any key or array index at that level (`card.number`, `*.password`,
 * `items.*.token`). The input is never mutated.
 *
 * It walks plain data only: callers redact the canonical form of a value (what `JSON.parse` makes of its
 * canonical JSON), so an object with `toJSON` — an ORM document, a class instance — is redacted in the
 * form that is recorded, not skipped. Members are defined, never assigned: an own `"__proto__"` member
 * stays a member.
 */
export function redact(value: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return value;
  return walk(
    value,
    paths.map((p) => p.split('.')),
  );
}

function walk(value: unknown, patterns: string[][]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const isArray = Array.isArray(value);
  const out: Record<string, unknown> | unknown[] = isArray ? [] : {};
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const matching = patterns.filter((p) => p[0] === '*' || p[0] === key);
    const rest = matching.map((p) => p.slice(1));
    const redacted = matching.some((p) => p.length === 1);
    Object.defineProperty(out, key, {
      value: redacted ? REDACTED : rest.length === 0 ? source[key] : walk(source[key], rest),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
