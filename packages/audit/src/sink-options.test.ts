import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optionsProblem } from './__support__/options.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { safeReporter, sealingOptionsShape } from './sink-options.js';

const schema = z.strictObject(sealingOptionsShape);
const problem = (options: unknown): string => optionsProblem(schema, options, 'sink');

describe('sealing options', () => {
  it('accepts every option and none', () => {
    const signer = createNoteSigner(generateNoteKeys('writ.test/log').signerKey);
    expect(problem({})).toBe('valid');
    expect(
      problem({
        keyDir: '/keys',
        signer,
        checkpointEvery: 10,
        checkpointIntervalMs: 1_000,
        clock: () => 0,
        onError: () => {},
      }),
    ).toBe('valid');
  });

  it('names each bad option', () => {
    expect(problem({ signer: { name: 'x' } })).toBe(
      'sink: options.signer: must be a NoteSigner (createNoteSigner()) or a CheckpointSigner (createRemoteNoteSigner())',
    );
    expect(problem({ createKey: 'no' })).toMatch(/^sink: options\.createKey: /);
    expect(problem({ clock: 0 })).toBe('sink: options.clock: must be a function');
    expect(problem({ onError: 'log' })).toBe('sink: options.onError: must be a function');
    expect(problem({ checkpointEvery: 0 })).toMatch(/^sink: options\.checkpointEvery: /);
    expect(problem({ checkpointIntervalMs: 1.5 })).toMatch(/^sink: options\.checkpointIntervalMs: /);
    expect(problem({ keyDir: '' })).toMatch(/^sink: options\.keyDir: /);
  });
});

describe('safeReporter', () => {
  it('hands errors to onError, and a hook that throws breaks nothing', () => {
    const seen: WritError[] = [];
    const error = new WritError('WRIT_AUDIT_UNAVAILABLE', 'sync failed');
    safeReporter((e) => seen.push(e))(error);
    expect(seen).toEqual([error]);
    expect(() =>
      safeReporter(() => {
        throw new Error('hook bug');
      })(error),
    ).not.toThrow();
    expect(() => safeReporter(undefined)(error)).not.toThrow();
  });
});
