// Writ's built-in W3C Trace Context and Baggage (used when no OpenTelemetry propagator is registered)
// against OpenTelemetry's own propagators from @opentelemetry/core: the same headers in, the same trace
// context and baggage out; the same context in, the same headers out. (@writ/core does not depend on
// @opentelemetry/core: its peer ranges would pin every application's @opentelemetry/api line.)
import { fc, test } from '@fast-check/vitest';
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect } from 'vitest';
import { extractContext, injectContext } from './propagation.js';

const otel = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

function seen(ctx: Context) {
  const span = trace.getSpanContext(ctx);
  const baggage = propagation.getBaggage(ctx);
  return {
    span:
      span === undefined
        ? undefined
        : {
            traceId: span.traceId,
            spanId: span.spanId,
            traceFlags: span.traceFlags,
            traceState: span.traceState?.serialize() ?? '',
          },
    baggage: Object.fromEntries((baggage?.getAllEntries() ?? []).map(([k, e]) => [k, e.value])),
  };
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const traceparent = fc.oneof(
  fc
    .tuple(fc.constantFrom('00', '01', 'cc', 'ff'), hex(32), hex(16), fc.constantFrom('00', '01', '02', 'ff'))
    .map(([v, t, s, f]) => `${v}-${t}-${s}-${f}`),
  fc.tuple(hex(32), hex(16)).map(([t, s]) => `00-${t}-${s}-01-extra`),
  fc.tuple(hex(32), hex(16)).map(([t, s]) => `01-${t}-${s}-01-extra`),
  fc.constant(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`),
  fc.constant(`00-${'1'.repeat(32)}-${'0'.repeat(16)}-01`),
  fc.tuple(hex(32), hex(16)).map(([t, s]) => `00-${t.toUpperCase()}-${s}-01`),
  fc.string({ maxLength: 60 }),
);
const token = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-.'),
  minLength: 1,
  maxLength: 8,
});
const member = fc.oneof(
  fc.tuple(token, fc.string({ maxLength: 10 })).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  fc.tuple(token, token).map(([k, v]) => ` ${k} = ${v} ;prop=1`),
  fc.tuple(token, token).map(([k, v]) => `${k}=${v}%`),
  fc.string({ maxLength: 12 }),
);
const baggage = fc.array(member, { maxLength: 6 }).map((m) => m.join(','));
const tracestate = fc.oneof(
  fc.constant(''),
  fc.tuple(token, token).map(([k, v]) => `${k}=${v}`),
);

describe("Writ's built-in W3C propagation against OpenTelemetry's propagators", () => {
  test.prop([traceparent, tracestate, baggage], { numRuns: 1_000 })(
    'extracts the same trace context and baggage from any headers',
    (tp, ts, bg) => {
      const headers: Record<string, string> = { traceparent: tp, baggage: bg };
      if (ts !== '') headers.tracestate = ts;
      const writ = seen(extractContext(headers, { context: ROOT_CONTEXT }));
      const reference = seen(otel.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
      expect(writ).toEqual(reference);
    },
  );

  test.prop(
    [
      hex(32).filter((t) => !/^0+$/.test(t)),
      hex(16).filter((s) => !/^0+$/.test(s)),
      fc.constantFrom(TraceFlags.NONE, TraceFlags.SAMPLED),
      fc.dictionary(token, fc.string({ maxLength: 12 }), { maxKeys: 5 }),
    ],
    { numRuns: 1_000 },
  )('injects the same headers for any context', (traceId, spanId, traceFlags, entries) => {
    let ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: false });
    if (Object.keys(entries).length > 0) {
      ctx = propagation.setBaggage(
        ctx,
        propagation.createBaggage(
          Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v }])),
        ),
      );
    }
    const writ: Record<string, string> = {};
    injectContext(writ, { context: ctx });
    const reference: Record<string, string> = {};
    otel.inject(ctx, reference, defaultTextMapSetter);
    expect(writ).toEqual(reference);
  });
});
