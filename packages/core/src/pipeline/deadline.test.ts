import { describe, expect, it } from 'vitest';
import { WritError } from '../errors.js';
import { callService, NEVER, withDeadline, withTimeLimit } from './deadline.js';

const late = () => new WritError('WRIT_PDP_UNAVAILABLE', 'too late');

describe('deadlines', () => {
  it('settles by the deadline even when the work ignores its signal, and aborts that signal', async () => {
    let seen: AbortSignal | undefined;
    const error = await withDeadline(
      20,
      NEVER,
      (signal) => {
        seen = signal;
        return new Promise(() => {});
      },
      late,
    ).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect(seen?.aborted).toBe(true);
  });

  it("the caller's abort wins over the work: WRIT_ABORTED, with the reason as cause", async () => {
    const controller = new AbortController();
    const pending = withTimeLimit(10_000, controller.signal, () => new Promise(() => {}), late);
    controller.abort(new Error('user left'));
    const error = (await pending.catch((e: unknown) => e)) as WritError;
    expect(error.code).toBe('WRIT_ABORTED');
    expect((error.cause as Error).message).toBe('user left');
    await expect(withTimeLimit(10, controller.signal, async () => 1, late)).rejects.toMatchObject({
      code: 'WRIT_ABORTED',
    });
  });

  it('passes the result and errors of work that finishes in time; a synchronous throw is a rejection', async () => {
    await expect(withDeadline(1_000, NEVER, async () => 7, late)).resolves.toBe(7);
    await expect(
      withDeadline(
        1_000,
        NEVER,
        () => {
          throw new Error('sync');
        },
        late,
      ),
    ).rejects.toThrow('sync');
  });

  it('never adds listeners to the shared never-aborting signal', async () => {
    const added: unknown[] = [];
    const original = NEVER.addEventListener.bind(NEVER);
    NEVER.addEventListener = ((...args: Parameters<typeof original>) => {
      added.push(args[0]);
      return original(...args);
    }) as typeof original;
    try {
      await Promise.all(Array.from({ length: 50 }, () => withTimeLimit(1_000, NEVER, async () => 1, late)));
    } finally {
      NEVER.addEventListener = original;
    }
    expect(added).toEqual([]);
  });

  it('callService: verdicts pass, an abort stays WRIT_ABORTED, anything else becomes the failure', async () => {
    const call = (run: () => Promise<never>, signal = NEVER) =>
      callService({
        ms: 1_000,
        signal,
        run,
        timeout: late,
        passes: ['WRIT_SCOPE_EXCEEDED'],
        failure: (e) => new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'mapped', { cause: e }),
      });
    await expect(
      call(async () => {
        throw new WritError('WRIT_SCOPE_EXCEEDED', 'verdict');
      }),
    ).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
    await expect(
      call(async () => {
        throw new TypeError('bug');
      }),
    ).rejects.toMatchObject({ code: 'WRIT_CREDENTIAL_UNAVAILABLE', cause: expect.any(TypeError) });
    await expect(
      call(async () => {
        throw new WritError('WRIT_INTERNAL', 'not a verdict');
      }),
    ).rejects.toMatchObject({ code: 'WRIT_CREDENTIAL_UNAVAILABLE' });
    const gone = new AbortController();
    gone.abort();
    await expect(call(() => new Promise(() => {}), gone.signal)).rejects.toMatchObject({
      code: 'WRIT_ABORTED',
    });
    // without a failure mapping, errors are rethrown as they are
    const raw = new Error('as is');
    await expect(
      callService({
        ms: 1_000,
        signal: NEVER,
        run: async () => {
          throw raw;
        },
        timeout: late,
      }),
    ).rejects.toBe(raw);
  });
});
