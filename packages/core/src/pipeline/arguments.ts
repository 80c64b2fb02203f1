import { WritError } from '../errors.js';

// What a tool gets: a private copy of the arguments the caller gave, made before anything is decided,
// then frozen once validated, so that what was validated, digested, approved and recorded is exactly what
// runs (the caller can neither change it while a human decides nor disguise it with a `toJSON`).

/** Deeper nesting is refused (as the encoder refuses it). */
const MAX_DEPTH = 256;

/** Why arguments cannot be taken: over the size limit, or not data. */
type Refusal = 'too_large' | 'not_data' | 'too_deep';

class NotTaken extends Error {
  constructor(readonly why: Refusal) {
    super(why);
  }
}

/**
 * A private copy of the caller's arguments, measured as it is made: plain objects and arrays are copied
 * member by member (own enumerable string keys, defined — an own `"__proto__"` stays a member), other
 * objects (Date, Map, typed arrays, class instances) by structured clone (a class instance arrives as its
 * own fields, without its prototype). Functions — a `toJSON` on the object itself among them — symbols and
 * platform objects are refused (`not_data`); so is anything whose JSON would take more than `maxBytes`
 * (`too_large`, measured in UTF-16 code units, and stopped as soon as the budget is spent).
 */
export function privateCopy(value: unknown, tool: string, maxBytes: number): unknown {
  let budget = maxBytes;
  const spend = (n: number) => {
    budget -= n;
    if (budget < 0) throw new NotTaken('too_large');
  };
  const copy = (v: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new NotTaken('too_deep'); // a cycle ends here too
    switch (typeof v) {
      case 'string':
        spend(v.length + 2);
        return v;
      case 'number':
      case 'bigint':
        spend(24);
        return v;
      case 'boolean':
        spend(5);
        return v;
      case 'undefined':
        return v;
      case 'object': {
        if (v === null) {
          spend(4);
          return v;
        }
        if (Array.isArray(v)) {
          spend(2);
          const out = new Array<unknown>(v.length);
          for (let i = 0; i < v.length; i++) out[i] = copy(v[i], depth + 1);
          return out;
        }
        const prototype: unknown = Object.getPrototypeOf(v);
        if (prototype === Object.prototype || prototype === null) {
          spend(2);
          const out: Record<string, unknown> = {};
          for (const key of Object.keys(v)) {
            spend(key.length + 3);
            Object.defineProperty(out, key, {
              value: copy((v as Record<string, unknown>)[key], depth + 1),
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          return out;
        }
        spend(ArrayBuffer.isView(v) ? v.byteLength : 16);
        return cloneOther(v, depth);
      }
      default:
        throw new NotTaken('not_data'); // functions, symbols
    }
  };
  /** A Date, Map, typed array or class instance: structured clone, its members measured and copied too. */
  const cloneOther = (v: object, depth: number): unknown => {
    let cloned: unknown;
    try {
      cloned = structuredClone(v);
    } catch {
      throw new NotTaken('not_data');
    }
    // a class instance clones to a plain object: measure its members (and refuse what is not data in them)
    return typeof cloned === 'object' && cloned !== null && Object.getPrototypeOf(cloned) === Object.prototype
      ? copy(cloned, depth)
      : cloned;
  };
  try {
    return copy(value, 0);
  } catch (error) {
    if (!(error instanceof NotTaken)) throw error;
    if (error.why === 'too_deep') {
      throw new WritError(
        'WRIT_INPUT_INVALID',
        `arguments of ${tool} are not JSON-serialisable (nested deeper than ${MAX_DEPTH} levels, or a cycle)`,
        { details: { tool, reason: 'too_deep' } },
      );
    }
    throw error.why === 'too_large'
      ? new WritError('WRIT_INPUT_INVALID', `arguments of ${tool} are larger than ${maxBytes} bytes`, {
          details: { tool, reason: 'too_large', limit: maxBytes },
        })
      : new WritError(
          'WRIT_INPUT_INVALID',
          `arguments of ${tool} must be plain data (no functions, symbols or platform objects)`,
          { details: { tool, reason: 'not_data' } },
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
