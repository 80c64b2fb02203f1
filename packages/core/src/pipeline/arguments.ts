import { WritError } from '../errors.js';

// What a tool gets: a private, frozen copy of the arguments the caller gave, made before anything is
// decided, so that what was validated, digested, approved and recorded is exactly what runs (the caller
// can neither change it while a human decides nor disguise it with a `toJSON`).

/** Deeper nesting is not measured further (and is refused by the encoder anyway). */
const MAX_DEPTH = 256;

/**
 * Whether `value` would take more than `maxBytes` as JSON, measured without serialising it: strings and
 * keys by their length in UTF-16 code units (a close bound on their UTF-8 size for most text), numbers
 * and literals by their longest form, binary data by its byte length. Stops as soon as the budget is
 * spent, so an oversized value costs at most `maxBytes` of walking.
 */
export function exceedsJsonSize(value: unknown, maxBytes: number): boolean {
  let budget = maxBytes;
  const walk = (v: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false;
    switch (typeof v) {
      case 'string':
        budget -= v.length + 2;
        return budget < 0;
      case 'number':
      case 'bigint':
        budget -= 24;
        return budget < 0;
      case 'boolean':
        budget -= 5;
        return budget < 0;
      case 'object': {
        if (v === null) {
          budget -= 4;
          return budget < 0;
        }
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
          budget -= v.byteLength;
          return budget < 0;
        }
        budget -= 2;
        if (v instanceof Map) {
          for (const [k, item] of v) if (walk(k, depth + 1) || walk(item, depth + 1)) return true;
          return budget < 0;
        }
        if (v instanceof Set || Array.isArray(v)) {
          for (const item of v) if (walk(item, depth + 1)) return true;
          return budget < 0;
        }
        for (const key of Object.keys(v)) {
          budget -= key.length + 3;
          if (budget < 0 || walk((v as Record<string, unknown>)[key], depth + 1)) return true;
        }
        return budget < 0;
      }
      default:
        return budget < 0;
    }
  };
  return walk(value, 0);
}

/**
 * A private copy of the caller's arguments (structured clone: data only). Functions — a `toJSON` on the
 * object itself among them — and other values that are not data are refused (`WRIT_INPUT_INVALID`); a
 * class instance arrives as its own fields, without its prototype.
 */
export function privateCopy(value: unknown, tool: string): unknown {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `arguments of ${tool} must be plain data (no functions, symbols or platform objects)`,
      { cause: error, details: { tool, reason: 'not_data' } },
    );
  }
}

/** Freezes plain objects and arrays all the way down (the copy a tool gets cannot be changed under it). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
