/**
 * A reader that goes away early (`writ verify … | head -1`, a pager quit before the end) closes the pipe
 * the CLI writes to: the next write fails with `EPIPE`, which Node raises as an `'error'` event that, with
 * no listener, crashes the process (exit 1, "does not verify", and a stack trace on stderr).
 */

/** Error codes that mean nobody reads `stream` any more. */
const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * Makes `stream` stop writing once its reader has gone (`EPIPE`): what is still to be written is dropped,
 * and the command runs to its end so the exit code stays the command's own (e.g. the verdict's). Any
 * other error on the stream is rethrown, as Node would without a listener.
 *
 * @example
 * ```ts
 * stopWritingOnBrokenPipe(process.stdout);
 * stopWritingOnBrokenPipe(process.stderr);
 * process.exitCode = await createProgram().run(process.argv.slice(2));
 * ```
 */
export function stopWritingOnBrokenPipe(stream: NodeJS.WritableStream): void {
  let gone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (!GONE.has(error.code ?? '')) throw error;
    if (gone) return;
    gone = true;
    // nothing written from now on reaches anyone: drop it (calling back, as a write that succeeded would)
    stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as NodeJS.WritableStream['write'];
  });
}
