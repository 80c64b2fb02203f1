import type { TaskNode } from '@writ/audit';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addListFilterOptions,
  flattenTasks,
  inTimeRange,
  matchesPrincipals,
  readListFilters,
} from './list-filters.js';

/** Parses `args` with the list filters, as a command would; usage errors throw. */
function parse(args: string[]) {
  const command = addListFilterOptions(
    new Command('calls').exitOverride().configureOutput({ writeErr: () => {} }),
  );
  command.action(() => {});
  command.parse(args, { from: 'user' });
  return readListFilters(command);
}

const task = (taskId: string, delegations: TaskNode[] = []) =>
  ({ taskId, delegations }) as unknown as TaskNode;
const agent = (name: string) =>
  ({ kind: 'agent', id: `spiffe://writ.test/agent/${name}`, name, assurance: 'verified' }) as const;

describe('the list filters', () => {
  it('parse every filter; times are ISO 8601 with a zone (or a bare date)', () => {
    expect(
      parse([
        '--tool',
        'refund_order',
        '--decision',
        'deny',
        '--agent',
        'billing',
        '--requester',
        'alice@example.com',
        '--since',
        '2026-05-01T09:00:00Z',
        '--until',
        '2026-05-02',
        '--task',
        't1',
      ]),
    ).toEqual({
      tool: 'refund_order',
      decision: 'deny',
      agent: 'billing',
      requester: 'alice@example.com',
      since: Date.parse('2026-05-01T09:00:00Z'),
      until: Date.parse('2026-05-02T00:00:00Z'),
      task: 't1',
    });
    expect(parse([])).toEqual({});
  });

  it('refuse an unknown decision and a time that is not ISO 8601 (usage errors)', () => {
    expect(() => parse(['--decision', 'maybe'])).toThrow(
      /Allowed choices are allow, deny, approval_required/,
    );
    for (const bad of ['yesterday', '2026-05-01 09:00', '2026-05-01T09:00:00', '1714550400'])
      expect(() => parse(['--since', bad]), bad).toThrow(/--since takes an ISO 8601 time with its zone/);
  });

  it('flatten task trees depth first, or the subtree of --task', () => {
    const roots = [task('a', [task('a1', [task('a11')]), task('a2')]), task('b', [task('b1')])];
    expect(flattenTasks(roots).map((t) => t.taskId)).toEqual(['a', 'a1', 'a11', 'a2', 'b', 'b1']);
    expect(flattenTasks(roots, 'a1').map((t) => t.taskId)).toEqual(['a1', 'a11']);
    expect(flattenTasks(roots, 'b1').map((t) => t.taskId)).toEqual(['b1']);
    expect(flattenTasks(roots, 'zzz')).toEqual([]);
  });

  it('match requester by id and agent by name or SPIFFE id anywhere in the chain', () => {
    const t = {
      requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
      chain: [agent('support'), agent('billing')],
    } as const;
    expect(matchesPrincipals(t, {})).toBe(true);
    expect(matchesPrincipals(t, { requester: 'alice@example.com', agent: 'support' })).toBe(true);
    expect(matchesPrincipals(t, { agent: 'spiffe://writ.test/agent/billing' })).toBe(true);
    expect(matchesPrincipals(t, { requester: 'bob@example.com' })).toBe(false);
    expect(matchesPrincipals(t, { agent: 'bill' })).toBe(false);
    expect(matchesPrincipals({ requester: null, chain: [] }, { requester: 'alice@example.com' })).toBe(false);
  });

  it('time range: at or after --since, before --until; a record without a time is out when either is given', () => {
    const since = Date.parse('2026-05-01T09:00:00Z');
    const until = Date.parse('2026-05-01T10:00:00Z');
    expect(inTimeRange('2026-05-01T09:00:00.000Z', { since, until })).toBe(true);
    expect(inTimeRange('2026-05-01T09:59:59.999Z', { since, until })).toBe(true);
    expect(inTimeRange('2026-05-01T10:00:00.000Z', { since, until })).toBe(false);
    expect(inTimeRange('2026-05-01T08:59:59.999Z', { since })).toBe(false);
    expect(inTimeRange(undefined, { since })).toBe(false);
    expect(inTimeRange(undefined, {})).toBe(true);
  });
});
