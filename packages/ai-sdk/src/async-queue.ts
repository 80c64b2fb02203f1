/** A push-fed async iterable: values pushed while a streaming tool runs, consumed by the AI SDK. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  end(): void;
  fail(error: unknown): void;
}

/** @internal */
export function asyncQueue<T>(): AsyncQueue<T> {
  const buffered: T[] = [];
  let finished: { error: unknown } | 'done' | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(value) {
      buffered.push(value);
      notify();
    },
    end() {
      finished ??= 'done';
      notify();
    },
    fail(error) {
      finished ??= { error };
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (buffered.length > 0) {
          yield buffered.shift() as T;
          continue;
        }
        if (finished === 'done') return;
        if (finished !== undefined) throw finished.error;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
