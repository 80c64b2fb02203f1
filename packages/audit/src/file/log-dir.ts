import { stat } from 'node:fs/promises';
import { WritError } from '@writ/core';

/**
 * Refuses a log directory other users can write to (`o+w`, sticky or not): anyone could plant links
 * where the writer creates files, replace `log.json` or the published checkpoint, or delete segments.
 * Refused rather than tightened, because what is already inside cannot be trusted either; a directory
 * its group can write to is accepted (deployments share one through a group, as Kubernetes' `fsGroup`
 * volumes do). Throws `WRIT_AUDIT_UNAVAILABLE` (reason `dir_permissions`, with `dir` and `mode`).
 * Nothing to check on Windows, which has no mode bits.
 *
 * @example
 * ```ts
 * await mkdir(dir, { recursive: true, mode: 0o700 });
 * await checkLogDir(dir);
 * ```
 * @internal
 */
export async function checkLogDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const info = await stat(dir);
  const mode = info.mode & 0o7777;
  if ((mode & 0o002) === 0) return;
  throw new WritError(
    'WRIT_AUDIT_UNAVAILABLE',
    `the audit log directory ${dir} is writable by other users (mode ${mode.toString(8)}): anyone could plant or replace its files; run chmod o-w on it and check what it holds`,
    { details: { reason: 'dir_permissions', dir, mode } },
  );
}
