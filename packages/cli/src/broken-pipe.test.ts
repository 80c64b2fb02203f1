import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stopWritingOnBrokenPipe } from './broken-pipe.js';

describe('stopWritingOnBrokenPipe', () => {
  it('a real pipe whose reader has exited: the EPIPE is absorbed and later writes are dropped', async () => {
    // a reader that closes its end of the pipe without reading (as `head` does once it has its lines),
    // says so, and stays alive until killed
    const reader = spawn(
      process.execPath,
      ['-e', "require('node:fs').closeSync(0); process.stdout.write('closed'); setInterval(() => {}, 1000)"],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    try {
      await once(reader.stdout, 'data');
      const pipe = reader.stdin;
      stopWritingOnBrokenPipe(pipe);
      const errors: string[] = [];
      pipe.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
      pipe.write('first line\n');
      await once(pipe, 'error');
      expect(errors).toEqual(['EPIPE']);
      // from now on nothing is written, and a write's callback still runs
      const written = await new Promise<unknown>((resolve) => {
        expect(pipe.write('second line\n', (error) => resolve(error ?? 'done'))).toBe(true);
      });
      expect(written).toBe('done');
      expect(errors).toEqual(['EPIPE']);
    } finally {
      reader.kill();
    }
  });

  it('rethrows any other error, as Node does without a listener', () => {
    const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    stopWritingOnBrokenPipe(stream);
    const error = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    expect(() => stream.emit('error', error)).toThrow('no space left on device');
  });
});
