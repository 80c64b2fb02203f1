import { createHash } from 'node:crypto';

/**
 * Serialises a JSON value per RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16
 * code units, ECMAScript number and string serialisation, no whitespace. `toJSON` is honoured and
 * `undefined` / functions / symbols are dropped exactly as `JSON.stringify` drops them, so the result
 * is the canonical form of what `JSON.stringify` would emit.
 *
 * Throws `TypeError` on non-finite numbers, BigInt and cycles (they have no JSON form).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null, 'x'] }); // '{"a":[true,null,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, new Set<object>(), '');
  if (out === undefined) throw new TypeError('value has no JSON representation');
  return out;
}

function write(value: unknown, seen: Set<object>, key: string): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalise non-finite number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('cannot canonicalise a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) throw new TypeError('cannot canonicalise a cyclic structure');
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      const items: string[] = [];
      for (let i = 0; i < object.length; i++) items.push(write(object[i], seen, String(i)) ?? 'null');
      return `[${items.join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    for (const name of Object.keys(record).sort()) {
      const member = write(record[name], seen, name);
      if (member !== undefined) members.push(`${JSON.stringify(name)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    seen.delete(object);
  }
}

/**
 * `sha256:<hex>` of the canonical JSON of a value: how Writ digests tool arguments and results.
 * Values without a JSON form (a tool returning `undefined`) digest as `null`.
 *
 * @example
 * ```ts
 * digest({ orderId: '42' }) === digest({ orderId: '42' }); // true, whatever the key order
 * ```
 */
export function digest(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'null' : canonicalJson(value);
  } catch {
    text = JSON.stringify(String(value));
  }
  return sha256Hex(text);
}

/** `sha256:<hex>` of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
