import { describe, expect, it } from 'vitest';
import { evictOldest } from './evict-oldest.js';

describe('evictOldest', () => {
  it('forgets the oldest entries first, over many evictions, a re-inserted key counting from its new place', () => {
    const map = new Map<string, number>();
    const evict = evictOldest(map);
    const put = (key: string, value: number) => {
      map.delete(key);
      map.set(key, value);
      evict(3);
    };
    put('a', 1);
    put('b', 2);
    put('c', 3);
    put('a', 4); // 'a' is now the newest
    put('d', 5); // evicts 'b', the oldest left
    expect([...map.keys()]).toEqual(['c', 'a', 'd']);
    for (let i = 0; i < 1_000; i++) put(`k${i}`, i);
    expect([...map.keys()]).toEqual(['k997', 'k998', 'k999']);
    put('k998', 0);
    put('z', 0);
    expect([...map.keys()]).toEqual(['k999', 'k998', 'z']);
  });

  it('keeps forgetting oldest first when the map empties and fills again', () => {
    const map = new Map<string, number>([['a', 1]]);
    const evict = evictOldest(map);
    evict(0); // the iterator passes the only entry
    expect(map.size).toBe(0);
    map.set('b', 2).set('c', 3);
    evict(1);
    expect([...map.keys()]).toEqual(['c']);
    evict(0);
    evict(0); // nothing left: no-op
    expect(map.size).toBe(0);
  });
});
