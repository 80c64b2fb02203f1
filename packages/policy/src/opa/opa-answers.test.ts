import { fc, test } from '@fast-check/vitest';
import { WritError } from '@writ/core';
import type { FetchLike } from '@writ/core/internal';
import { describe, expect } from 'vitest';
import { authorizationRequest, NO_ABORT } from '../combinators/__support__/requests.js';
import { createOpaEngine } from './opa-engine.js';

/** A fetch answering one fixed HTTP response: no server involved, so any bytes can be tried. */
function answering(status: number, body: string): FetchLike {
  const nullBody = status === 204 || status === 205 || status === 304;
  return async () =>
    new Response(nullBody ? null : body, { status, headers: { 'content-type': 'application/json' } });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Data API bodies, mostly well-formed, often not. */
const body = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      result: fc.oneof(
        fc.boolean(),
        fc.jsonValue(),
        fc.record(
          {
            allow: fc.oneof(fc.boolean(), fc.jsonValue()),
            approval_required: fc.oneof(fc.boolean(), fc.jsonValue()),
            reasons: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
            policy_ids: fc.array(fc.string()),
            helper: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
      ),
      decision_id: fc.oneof(fc.uuid(), fc.jsonValue()),
      provenance: fc.oneof(fc.record({ version: fc.string() }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

describe('createOpaEngine answers (property; injected fetch, any body)', () => {
  test.prop([body], { numRuns: 500 })(
    'allows only for result true or an object with allow true; anything unreadable is WRIT_PDP_UNAVAILABLE',
    async (answer) => {
      const engine = createOpaEngine({
        url: 'https://opa.example.com',
        path: 'writ/authz',
        fetch: answering(200, JSON.stringify(answer)),
      });
      const outcome = await engine.decide(authorizationRequest(), NO_ABORT).then(
        (decision) => ({ decision }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) {
        expect(WritError.isInstance(outcome.error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
        return;
      }
      const { decision } = outcome;
      const result = isRecord(answer) ? answer.result : undefined;
      const allowed = result === true || (isRecord(result) && result.allow === true);
      if (decision.effect !== 'deny') expect(allowed).toBe(true);
      if (decision.effect === 'allow') {
        expect(result === true || (isRecord(result) && result.approval_required !== true)).toBe(true);
      }
      if (isRecord(answer) && !Object.hasOwn(answer, 'result')) {
        expect(decision.effect).toBe('deny');
        expect(decision.errors?.length).toBe(1);
      }
      if (isRecord(answer) && typeof answer.decision_id === 'string' && answer.decision_id.length > 0) {
        expect(decision.decisionId).toBe(answer.decision_id);
      }
      expect(decision.decisionId.length).toBeGreaterThan(0);
      expect(decision.policyIds.length).toBeGreaterThan(0);
    },
  );

  test.prop([fc.integer({ min: 300, max: 599 }), fc.jsonValue()], { numRuns: 100 })(
    'every non-2xx status is WRIT_PDP_UNAVAILABLE, whatever the body',
    async (status, answer) => {
      const engine = createOpaEngine({
        url: 'https://opa.example.com',
        path: 'writ/authz',
        fetch: answering(status, JSON.stringify(answer)),
      });
      const error = await engine.decide(authorizationRequest(), NO_ABORT).catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
      expect((error as WritError).details).toMatchObject({ reason: 'http_status', status });
    },
  );

  test.prop([
    fc.array(
      fc.string({ minLength: 1 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..'),
      { minLength: 1, maxLength: 5 },
    ),
  ])('queries exactly the configured document, each segment percent-encoded', async (segments) => {
    const urls: string[] = [];
    const engine = createOpaEngine({
      url: 'https://opa.example.com/prefix/',
      path: segments.join('/'),
      fetch: async (url) => {
        urls.push(url);
        return new Response('{"result":true}', { status: 200 });
      },
    });
    await engine.decide(authorizationRequest(), NO_ABORT);
    const url = new URL(urls[0] ?? '');
    expect(url.origin).toBe('https://opa.example.com');
    const [, prefix, v1, data, ...rest] = url.pathname.split('/');
    expect([prefix, v1, data]).toEqual(['prefix', 'v1', 'data']);
    expect(rest.map(decodeURIComponent)).toEqual(segments);
  });
});
