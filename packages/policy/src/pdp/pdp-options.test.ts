import { validateOptions } from '@writ/core/internal';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { maxResponseBytesSchema, pdpHeadersSchema } from './pdp-options.js';

const schema = z.strictObject({
  headers: pdpHeadersSchema.optional(),
  maxResponseBytes: maxResponseBytesSchema.optional(),
});
const parse = (options: unknown) => () => validateOptions(schema, options, 'createPdpEngine');

describe('remote engine option schemas', () => {
  it('accepts header records the Fetch API accepts', () => {
    expect(parse({ headers: { authorization: 'Bearer t', 'x-tenant': 'acme' } })()).toEqual({
      headers: { authorization: 'Bearer t', 'x-tenant': 'acme' },
    });
  });

  it.each([[{ 'bad header': 'x' }], [{ authorization: 'line\nbreak' }], [{ 'x-number': 1 }]])(
    'refuses headers %j naming the option',
    (headers) => {
      expect(parse({ headers })).toThrow(/createPdpEngine: options\.headers/);
    },
  );

  it('bounds maxResponseBytes to a positive integer of at most 64 MiB', () => {
    expect(parse({ maxResponseBytes: 64 * 1024 * 1024 })()).toEqual({ maxResponseBytes: 64 * 1024 * 1024 });
    for (const bad of [0, -1, 1.5, 64 * 1024 * 1024 + 1, '1024']) {
      expect(parse({ maxResponseBytes: bad }), String(bad)).toThrow(/options\.maxResponseBytes/);
    }
  });
});
