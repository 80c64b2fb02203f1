// Property-test inputs shared by the canonical-JSON and snapshot tests.
import { fc } from '@fast-check/vitest';

/**
 * Anything a caller may hand Writ as JSON-ish data: Dates, null-prototype objects, sparse arrays,
 * `undefined` members, strings, integers and finite doubles (never a bare `undefined`, which has no JSON
 * form at all).
 */
export const jsonishValue = fc
  .anything({
    withDate: true,
    withNullPrototype: true,
    withSparseArray: true,
    withObjectString: false,
    values: [
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(undefined),
    ],
  })
  .filter((v) => v !== undefined);
