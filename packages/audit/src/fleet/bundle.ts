import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WritError } from '@writ/core';
import { readBoundedFile, SMALL_FILE_BYTES } from '../file/bounded-read.js';

/**
 * A fleet bundle (`exportFleet`, `writ export`): a directory holding `manifest.json`, the fleet log in
 * `fleet/` and each member log in `members/<log id>/`, all in the file log format.
 */

/** @internal the manifest's `kind`. */
export const BUNDLE_KIND = 'writ-fleet-bundle';

/**
 * One log of a bundle, as its manifest lists it.
 *
 * @example
 * ```ts
 * const total = manifest.members.reduce((n, m: FleetBundleLog) => n + m.records, 0);
 * ```
 */
export interface FleetBundleLog {
  readonly logId: string;
  readonly origin: string;
  /** Records exported. */
  readonly records: number;
}

/**
 * `manifest.json` of a fleet bundle. It is a table of contents, not evidence: `verifyFleet` trusts only
 * the fleet log (verified with the fleet key) and the logs themselves.
 *
 * @example
 * ```ts
 * const manifest = JSON.parse(await readFile('bundle/manifest.json', 'utf8')) as FleetBundleManifest;
 * for (const { logId, reason } of manifest.left) console.warn(`${logId} not exported: ${reason}`);
 * ```
 */
export interface FleetBundleManifest {
  readonly v: 1;
  readonly kind: typeof BUNDLE_KIND;
  readonly exportedAt: string;
  /** Where the logs came from (`postgres://host:port/db#schema`, no credentials). */
  readonly source: string;
  readonly fleet: FleetBundleLog;
  readonly members: readonly FleetBundleLog[];
  /** Logs of the schema not exported, with why (a log the fleet never endorsed). */
  readonly left: readonly { readonly logId: string; readonly reason: string }[];
}

/**
 * Whether `dir` is a fleet bundle: a directory with `manifest.json` and `fleet/`.
 *
 * @example
 * ```ts
 * if (await isFleetBundle(target)) await verifyFleet(target, { fleetKey });
 * ```
 */
export async function isFleetBundle(dir: string): Promise<boolean> {
  const found = await Promise.all(
    ['manifest.json', 'fleet'].map((name) =>
      stat(join(dir, name)).then(
        (s) => (name === 'fleet' ? s.isDirectory() : s.isFile()),
        () => false,
      ),
    ),
  );
  return found.every(Boolean);
}

/**
 * A bundle's parts: its manifest, the fleet log directory, and the member directories actually present
 * (`members/*`, whatever the manifest says), by name.
 *
 * @example
 * ```ts
 * const { fleetDir, memberDirs } = await openFleetBundle('./bundle');
 * ```
 */
export async function openFleetBundle(dir: string): Promise<{
  manifest: FleetBundleManifest;
  fleetDir: string;
  memberDirs: Map<string, string>;
}> {
  const text = await readBoundedFile(join(dir, 'manifest.json'), {
    maxBytes: SMALL_FILE_BYTES * 16,
    regularOnly: true,
  });
  let manifest: FleetBundleManifest | undefined;
  try {
    manifest = text === undefined ? undefined : (JSON.parse(text) as FleetBundleManifest);
  } catch {
    manifest = undefined;
  }
  if (manifest?.kind !== BUNDLE_KIND || manifest.v !== 1)
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} is not a Writ fleet bundle (manifest.json)`, {
      details: { reason: 'not_a_bundle', dir },
    });
  const memberDirs = new Map<string, string>();
  const members = join(dir, 'members');
  const names = await readdir(members, { withFileTypes: true }).catch(() => []);
  for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    memberDirs.set(entry.name, join(members, entry.name));
  return { manifest, fleetDir: join(dir, 'fleet'), memberDirs };
}
