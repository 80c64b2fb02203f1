import type { TaskNode } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { renderTaskGraph } from './task-graph.js';

const agent = (name: string, domain: string) => ({
  kind: 'agent' as const,
  id: `spiffe://${domain}/agent/${name}`,
  assurance: 'verified' as const,
});

function task(chain: TaskNode['chain'], delegations: TaskNode[] = []): TaskNode {
  return {
    taskId: `task-${chain.length}`,
    parentTaskId: undefined,
    correlationId: 'corr',
    intent: undefined,
    requester: { kind: 'human', id: 'carol@example.com', assurance: 'verified' },
    chain,
    scope: ['*'],
    status: 'started',
    refusal: undefined,
    credential: undefined,
    calls: [],
    delegations,
    revoked: [],
    end: { status: 'ok' },
    records: [],
  };
}

const labels = (svg: string, cls: string) =>
  [
    ...svg.matchAll(
      new RegExp(
        `<g class="${cls}"[^>]*><title>[^<]*</title><rect[^>]*/><text[^>]*class="label">([^<]*)</text>`,
        'g',
      ),
    ),
  ].map((m) => m[1]);
const edges = (svg: string) => (svg.match(/<path class="edge"/g) ?? []).length;

describe('renderTaskGraph', () => {
  it('draws the whole chain of a continued task: requester → upstream agents → the acting agent', () => {
    const orchestrator = agent('shop-orchestrator', 'shop.example.com');
    const researcher = agent('order-researcher', 'shop.example.com');
    const payments = { ...agent('payments-api', 'payments.example.com'), name: 'payments-api' };
    const svg = renderTaskGraph(task([orchestrator, researcher, payments]));
    expect(labels(svg, 'node agent upstream')).toEqual(['shop-orchestrator', 'order-researcher']);
    expect(labels(svg, 'node agent')).toEqual(['payments-api']);
    expect(svg).toMatch(
      /<g class="node agent upstream"><title>upstream agent spiffe:\/\/shop\.example\.com\/agent\/shop-orchestrator \(verified\)/,
    );
    expect(svg).toContain('upstream · shop.example.com');
    expect(edges(svg)).toBe(3); // requester → orchestrator → researcher → payments-api
    // drawn left to right in chain order
    const xs = [
      ...svg.matchAll(/<g class="node (?:requester|agent[^"]*)"[^>]*><title>[^<]*<\/title><rect x="(\d+)"/g),
    ].map((m) => Number(m[1]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
  });

  it('a delegation adds only the agents its parent does not show; a one-agent task adds none', () => {
    const support = { ...agent('support', 'writ.test'), name: 'support' };
    const billing = { ...agent('billing', 'writ.test'), name: 'billing' };
    const svg = renderTaskGraph(task([support], [task([support, billing])]));
    expect(labels(svg, 'node agent upstream')).toEqual([]);
    expect(labels(svg, 'node agent')).toEqual(['support', '↳ billing']);
    expect(edges(svg)).toBe(2);
  });
});
