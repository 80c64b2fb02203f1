// A tool whose result is lazy — an async generator, a sync generator, any async iterable, a ReadableStream
// — would otherwise "return" before its body runs: the outcome recorded as ok, the task ended and its
// credentials revoked, the span closed, and the body's error lost. The pipeline reads such a result to the
// end while the call is still open, so the outcome records what ran, and hands back an equivalent lazy value
// replaying what was read.

type Lazy =
  | { readonly kind: 'async-iterable'; readonly source: AsyncIterable<unknown> }
  | { readonly kind: 'generator'; readonly source: Iterable<unknown> }
  | { readonly kind: 'readable-stream'; readonly source: ReadableStream<unknown> };

function lazyOf(value: unknown): Lazy | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream)
    return { kind: 'readable-stream', source: value };
  if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
    return { kind: 'async-iterable', source: value as AsyncIterable<unknown> };
  // sync generators run their body lazily; arrays, strings, Maps and Sets are already complete
  if (Object.prototype.toString.call(value) === '[object Generator]')
    return { kind: 'generator', source: value as Iterable<unknown> };
  return undefined;
}

/** What each replaying value handed back holds: what the outcome record digests (and captures). */
const read = new WeakMap<object, readonly unknown[]>();

/** The data a result stands for in records: what a lazy result yielded, else the result itself. */
export function recordedResult(result: unknown): unknown {
  return typeof result === 'object' && result !== null ? (read.get(result) ?? result) : result;
}

/**
 * The result as the caller should get it: a plain value unchanged; a lazy one read to the end here
 * (its failure thrown here, as the tool's), then replayed as a value of the same kind.
 */
export async function settleLazy(value: unknown): Promise<unknown> {
  const lazy = lazyOf(value);
  if (lazy === undefined) return value;
  const items: unknown[] = [];
  switch (lazy.kind) {
    case 'readable-stream': {
      const reader = lazy.source.getReader();
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        items.push(chunk);
      }
      return remember(
        new ReadableStream<unknown>({
          start(controller) {
            for (const chunk of items) controller.enqueue(chunk);
            controller.close();
          },
        }),
        items,
      );
    }
    case 'async-iterable':
      for await (const item of lazy.source) items.push(item);
      return remember(
        (async function* replay() {
          yield* items;
        })(),
        items,
      );
    case 'generator':
      for (const item of lazy.source) items.push(item);
      return remember(
        (function* replay() {
          yield* items;
        })(),
        items,
      );
  }
}

function remember<T extends object>(replaying: T, items: readonly unknown[]): T {
  read.set(replaying, items);
  return replaying;
}
