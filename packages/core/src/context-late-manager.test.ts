// A task opened before any OpenTelemetry context manager exists runs in Writ's fallback store. A
// library may register a manager later, mid-task (Genkit starts its own OTel SDK on its first span):
// contexts made from then on carry the library's span but not the task. Writ keeps the task in view.
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTRIBUTION_KEY, activeContext, runInContext, tryGetAttribution } from './context.js';

/** The smallest async-hooks context manager (what an OTel SDK registers). */
class LateManager implements ContextManager {
  readonly #store = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#store.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#store.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

afterEach(() => context.disable());

describe('activeContext when a context manager is registered mid-task', () => {
  it('keeps the task and the span of contexts made after the manager appeared', async () => {
    context.disable();
    const attribution = { taskId: 't-1' } as never;
    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
    await runInContext(ROOT_CONTEXT.setValue(ATTRIBUTION_KEY, attribution), async () => {
      await Promise.resolve();
      expect(tryGetAttribution()).toBe(attribution);
      context.setGlobalContextManager(new LateManager());
      await context.with(trace.setSpan(context.active(), span), async () => {
        await Promise.resolve();
        expect(tryGetAttribution()).toBe(attribution);
        expect(trace.getSpan(activeContext())).toBe(span);
      });
    });
  });

  it('leaves a context that has a task of its own alone', async () => {
    context.disable();
    const outer = { taskId: 'outer' } as never;
    const inner = { taskId: 'inner' } as never;
    await runInContext(ROOT_CONTEXT.setValue(ATTRIBUTION_KEY, outer), async () => {
      context.setGlobalContextManager(new LateManager());
      await runInContext(context.active().setValue(ATTRIBUTION_KEY, inner), async () => {
        await Promise.resolve();
        expect(tryGetAttribution()).toBe(inner);
      });
    });
  });
});
