// Issue 23 item 3: `workers: 'auto'` falls back to in-thread Cedar on one core (no worker thread is
// started), and starts workers when there are more cores. The number of cores the process may use and
// the worker threads started are observed through mocks of `node:os` and `node:worker_threads`.
import type { AuthorizationRequest } from '@writ/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

const state = vi.hoisted(() => ({ cores: 1, workersStarted: 0 }));

vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  return { ...os, availableParallelism: () => state.cores };
});
vi.mock('node:worker_threads', async (importOriginal) => {
  const threads = await importOriginal<typeof import('node:worker_threads')>();
  class CountedWorker extends threads.Worker {
    constructor(...args: ConstructorParameters<typeof threads.Worker>) {
      super(...args);
      state.workersStarted++;
    }
  }
  return { ...threads, Worker: CountedWorker };
});

const { autoCedarWorkers, createCedarEngine } = await import('@writ/policy');

const signal = new AbortController().signal;
const sources = { 'p.cedar': '@id("all") permit(principal, action, resource);' };
const request: AuthorizationRequest = {
  subject: {
    type: 'Agent',
    id: 'spiffe://writ.test/agent/support',
    properties: {
      name: 'support',
      assurance: 'verified',
      requester: null,
      chain: [],
      chainDepth: 1,
      autonomous: true,
    },
  },
  action: {
    name: 'lookup_order',
    properties: { risk: 'low', toolType: 'function', permission: 'lookup_order' },
  },
  resource: { type: 'Order', id: '42' },
  context: {
    taskId: 't',
    correlationId: 'c',
    scope: ['*'],
    inScope: true,
    risk: 'low',
    environment: 'test',
    chainDepth: 1,
    autonomous: true,
    argsDigest: 'sha256:00',
  },
} as AuthorizationRequest;

afterEach(() => {
  state.workersStarted = 0;
});

describe("createCedarEngine({ workers: 'auto' })", () => {
  it('decides in the calling thread on one core: no worker thread is started', async () => {
    state.cores = 1;
    expect(autoCedarWorkers()).toBe(0);
    const engine = await createCedarEngine({ sources, schema: false, workers: 'auto' });
    try {
      const decisions = await Promise.all(
        Array.from({ length: 8 }, () => engine.decide(request, { signal })),
      );
      expect(decisions.map((d) => d.effect)).toEqual(Array(8).fill('allow'));
      expect(state.workersStarted).toBe(0);
    } finally {
      engine.close();
    }
  });

  it('starts one worker per core on two cores, and decides alike', async () => {
    state.cores = 2;
    expect(autoCedarWorkers()).toBe(2);
    const engine = await createCedarEngine({ sources, schema: false, workers: 'auto' });
    try {
      const decisions = await Promise.all(
        Array.from({ length: 8 }, () => engine.decide(request, { signal })),
      );
      expect(decisions.map((d) => d.effect)).toEqual(Array(8).fill('allow'));
      expect(state.workersStarted).toBe(2);
    } finally {
      engine.close();
    }
  });
});
