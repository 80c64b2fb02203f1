// The trust-boundary attacks (issue 18 and later items), counted per family: every attack in the catalogue is exercised by
// a test in this directory (found by its `attack('<id>'` title), and the tally prints per family.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTACKS, type Attack, type AttackId } from './attacks.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('trust-boundary attacks: the tally', () => {
  it('every catalogued attack has a test, and every attack test is catalogued; counts per family', () => {
    const sources = readdirSync(here)
      .filter((f) => f.endsWith('.test.ts') && f !== 'tally.test.ts')
      .map((f) => readFileSync(join(here, f), 'utf8'))
      .join('\n');
    const used = new Set([...sources.matchAll(/attack\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1] as string));
    const catalogued = Object.keys(ATTACKS) as AttackId[];
    expect(
      catalogued.filter((id) => !used.has(id)),
      'catalogued attacks without a test',
    ).toEqual([]);
    expect(
      [...used].filter((id) => !(id in ATTACKS)),
      'attack tests missing from the catalogue',
    ).toEqual([]);
    const perFamily = new Map<string, { attacks: number; items: Set<string> }>();
    for (const id of catalogued) {
      const a: Attack = ATTACKS[id];
      const tally = perFamily.get(a.family) ?? { attacks: 0, items: new Set<string>() };
      tally.attacks += 1;
      // items of issue 18 by number, later issues' as <issue>.<item>
      tally.items.add(a.issue === undefined ? String(a.item) : `${a.issue}.${a.item}`);
      perFamily.set(a.family, tally);
    }
    const lines = [...perFamily].map(
      ([family, t]) =>
        `  ${family}: ${t.attacks} attack(s), items ${[...t.items].sort((x, y) => Number(x) - Number(y) || x.localeCompare(y)).join(', ')}`,
    );
    console.log(
      `trust-boundary attacks (issue 18 and later): ${catalogued.length} in all\n${lines.join('\n')}`,
    );
    expect(catalogued.length).toBeGreaterThanOrEqual(16);
  });
});
