// Test support: a real fetch that remembers what it sent.
import type { FetchLike } from '@writ/core/internal';

/** One request a recording fetch forwarded. */
export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: unknown;
}

/** `globalThis.fetch`, plus the list of requests it forwarded (bodies parsed as JSON). */
export function recordingFetch(): FetchLike & { calls: RecordedRequest[] } {
  const calls: RecordedRequest[] = [];
  const recording: FetchLike = (url, init) => {
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body });
    return fetch(url, init);
  };
  return Object.assign(recording, { calls });
}
