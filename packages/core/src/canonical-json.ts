import * as crypto from 'node:crypto';

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
  const out = write(value, 0, '');
  if (out === undefined) throw new TypeError('value has no JSON representation');
  return out;
}

/** Deeper nesting is refused; this is also how cycles are detected (without per-object bookkeeping). */
const MAX_DEPTH = 256;

/** Characters a JSON string must escape (and lone surrogates, which `JSON.stringify` escapes too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function writeString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** Encoded object keys: records reuse a small vocabulary of keys, encoded once. */
const KEYS = new Map<string, string>();
const MAX_CACHED_KEYS = 4096;

function writeKey(name: string): string {
  let encoded = KEYS.get(name);
  if (encoded === undefined) {
    encoded = writeString(name);
    if (KEYS.size < MAX_CACHED_KEYS && name.length <= 64) KEYS.set(name, encoded);
  }
  return encoded;
}

const OBJECT_PROTOTYPE = Object.prototype;

/**
 * True when `JSON.stringify(value)` is already the canonical form: every object on the way is a plain
 * object (or array) without `toJSON` whose own keys enumerate in strictly ascending UTF-16 order, and
 * every number is finite (BigInt and excessive depth answer false, so the writer reports them). Records
 * Writ builds list their keys in that order, so they are serialised natively instead of piece by piece.
 *
 * `for…in` enumerates own keys in the order `JSON.stringify` emits them (integer-like keys first,
 * ascending; then insertion order) plus inherited enumerable keys, which only `Object.prototype` or
 * `null` prototypes reach here: an inherited key can only make the check fail, never pass wrongly.
 */
function inCanonicalOrder(value: object, depth: number): boolean {
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!memberInOrder(value[i], depth)) return false;
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== OBJECT_PROTOTYPE && prototype !== null) return false;
  let previous: string | undefined;
  for (const name in value) {
    if (previous !== undefined && name <= previous) return false;
    previous = name;
    if (!memberInOrder((value as Record<string, unknown>)[name], depth)) return false;
  }
  return true;
}

/** A member of an object or array at `depth`: see {@link inCanonicalOrder}. */
function memberInOrder(member: unknown, depth: number): boolean {
  if (typeof member === 'object') return member === null || inCanonicalOrder(member, depth + 1);
  if (typeof member === 'number') return Number.isFinite(member);
  return typeof member !== 'bigint';
}

function write(value: unknown, depth: number, key: string | number): string | undefined {
  if (typeof value === 'string') return writeString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalise non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  if (typeof value !== 'object') {
    if (typeof value === 'bigint') throw new TypeError('cannot canonicalise a BigInt');
    return undefined; // undefined, functions and symbols have no JSON form
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON: (key: string) => unknown }).toJSON(String(key)), depth, key);
  }
  if (depth >= MAX_DEPTH)
    throw new TypeError('cannot canonicalise a cyclic (or more than 256 levels deep) structure');
  // already in canonical order: the native serialiser writes the same bytes, several times faster
  if (inCanonicalOrder(value, depth)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i], depth + 1, i) ?? 'null';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  if (names.length > 1) names.sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const member = write(record[name], depth + 1, name);
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += writeKey(name);
    out += ':';
    out += member;
  }
  return `${out}}`;
}

/**
 * A copy of `value` as plain JSON data, taken now: exactly what {@link canonicalJson} would encode
 * (`toJSON` applied, getters read once, `undefined` / functions / symbols dropped from objects and
 * `null` in arrays), in fresh objects and arrays that nothing else holds. Whatever mutates the original
 * afterwards does not reach the copy, and `canonicalJson(jsonSnapshot(v)) === canonicalJson(v)`.
 * Costs a fraction of the encoding (no strings built, no key sorting), so a log can fix a record on
 * the caller's path and encode it later.
 *
 * Throws `TypeError` where `canonicalJson` would: non-finite numbers, BigInt, cycles (and whatever a
 * getter or `toJSON` throws).
 *
 * @example
 * ```ts
 * const args = { order: { id: '42' } };
 * const fixed = jsonSnapshot({ kind: 'decision', args });
 * args.order.id = '43';
 * canonicalJson(fixed); // '{"args":{"order":{"id":"42"}},"kind":"decision"}'
 * ```
 */
export function jsonSnapshot(value: unknown): unknown {
  return fixedJson(value).value;
}

/** Whether the snapshot being taken has every object's keys in strictly ascending order so far. */
let inOrder = true;

/**
 * {@link jsonSnapshot}, and whether its copy is already in canonical order (every object's keys
 * strictly ascending as `JSON.stringify` emits them): then `JSON.stringify(value)` of the untouched copy
 * is its canonical form, without {@link canonicalJson}'s check.
 *
 * @example
 * ```ts
 * const fixed = fixedJson({ a: 1, b: [{ c: true }] });
 * const line = fixed.inOrder ? JSON.stringify(fixed.value) : canonicalJson(fixed.value);
 * ```
 * @internal
 */
export function fixedJson(value: unknown): { readonly value: unknown; readonly inOrder: boolean } {
  const outer = inOrder; // a getter or toJSON may take a snapshot of its own
  inOrder = true;
  try {
    const copy = snapshot(value, 0, '');
    return { value: copy, inOrder };
  } finally {
    inOrder = outer;
  }
}

/**
 * Values that are their own snapshot, with their height: deeply frozen plain JSON data in canonical key
 * order, without `undefined` members, accessors or `toJSON` (see {@link fixedValue}). Nothing can change
 * them, so a snapshot shares them instead of copying them (every record repeats its task's chain and
 * requester).
 */
const FIXED = new WeakMap<object, number>();

/** The height of `value` if it is fixed data as {@link FIXED} holds it (marking its members), else -1. */
function fixedHeight(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'string' || typeof value === 'boolean') return 0;
    return typeof value === 'number' && Number.isFinite(value) ? 0 : -1;
  }
  const known = FIXED.get(value);
  if (known !== undefined) return known;
  if (depth >= 16 || !Object.isFrozen(value)) return -1;
  const prototype: unknown = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && prototype !== OBJECT_PROTOTYPE && prototype !== null) return -1;
  const names = Reflect.ownKeys(value);
  let height = 0;
  let previous: string | undefined;
  for (const name of names) {
    if (typeof name !== 'string') return -1; // a symbol key (JSON drops it; keep to what is plain)
    if (isArray && name === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, name);
    if (descriptor === undefined || !('value' in descriptor) || !descriptor.enumerable) return -1;
    if (!isArray) {
      if (name === 'toJSON' || name === '__proto__' || (previous !== undefined && name <= previous))
        return -1;
      previous = name;
    }
    const member = fixedHeight(descriptor.value, depth + 1);
    if (member < 0) return -1;
    height = Math.max(height, member + 1);
  }
  if (isArray && names.length - 1 !== (value as unknown[]).length) return -1; // holes
  FIXED.set(value, height);
  return height;
}

/**
 * Declares `value` its own {@link jsonSnapshot} when it is deeply frozen plain JSON data (plain objects
 * and arrays, strings, booleans, finite numbers, `null`; no accessors, `toJSON`, `undefined` members or
 * holes) with every object's keys in canonical order; anything else is left as it is (and copied by
 * snapshots as before). Returns `value`. For values the runtime builds once and every record repeats.
 *
 * @example
 * ```ts
 * const chain = fixedValue(Object.freeze([Object.freeze({ id: 'a', kind: 'agent' })]));
 * (jsonSnapshot({ chain }) as { chain: unknown }).chain === chain; // true: shared, not copied
 * ```
 * @internal
 */
export function fixedValue<T>(value: T): T {
  fixedHeight(value, 0);
  return value;
}

function snapshot(value: unknown, depth: number, key: string | number): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError(`cannot canonicalise non-finite number ${value}`);
    if (typeof value === 'bigint') throw new TypeError('cannot canonicalise a BigInt');
    // strings, booleans, null; undefined, functions and symbols (no JSON form) come back as undefined
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return snapshot((value as { toJSON: (key: string) => unknown }).toJSON(String(key)), depth, key);
  }
  if (depth >= MAX_DEPTH)
    throw new TypeError('cannot canonicalise a cyclic (or more than 256 levels deep) structure');
  if (Object.isFrozen(value)) {
    const height = FIXED.get(value);
    if (height !== undefined && depth + height < MAX_DEPTH) return value;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const member = snapshot(value[i], depth + 1, i);
      copy[i] = member === undefined ? null : member;
    }
    return copy;
  }
  const copy: Record<string, unknown> = {};
  const names = Object.keys(value);
  let previous: string | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const member = snapshot((value as Record<string, unknown>)[name], depth + 1, name);
    if (member === undefined) continue;
    if (previous !== undefined && name <= previous) inOrder = false;
    previous = name;
    // an own "__proto__" key (JSON.parse makes them) stays a key, never the copy's prototype
    if (name === '__proto__')
      Object.defineProperty(copy, name, {
        value: member,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[name] = member;
  }
  return copy;
}

/**
 * A shallow copy of `record` with its keys inserted in canonical (sorted) order and `undefined` members
 * left out, or `record` itself when its keys already are in that order. Records built this way take
 * `canonicalJson`'s fast path. @internal
 */
export function withSortedKeys<T extends object>(record: T): T {
  const names = Object.keys(record);
  if (ascending(names)) return record;
  names.sort();
  const copy: Record<string, unknown> = {};
  for (const name of names) {
    const member = (record as Record<string, unknown>)[name];
    if (member !== undefined) copy[name] = member;
  }
  return copy as T;
}

/** True when `names` are in strictly ascending UTF-16 order (canonical key order). @internal */
export function ascending(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) >= (names[i] as string)) return false;
  return true;
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

// One-shot hashing (Node ≥ 20.12 / 21.7) skips the Hash object; older Nodes use createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * `sha256:<hex>` of a UTF-8 string.
 *
 * @example
 * ```ts
 * sha256Hex('hello'); // 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
 * sha256Hex(canonicalJson({ orderId: '42' })) === digest({ orderId: '42' }); // true
 * ```
 */
export function sha256Hex(text: string): string {
  const hex =
    oneShot === undefined
      ? crypto.createHash('sha256').update(text, 'utf8').digest('hex')
      : oneShot('sha256', text, 'hex');
  return `sha256:${hex}`;
}
