// Types of shared-context-scenario.mjs (plain JavaScript, so that the dist of an earlier commit can run it).
import type { AuthorizationRequest } from '@writ/core';

/** The packages the scenario runs on: `@writ/core`, `@writ/core/testing`, `@writ/audit` and `zod`, of any build. */
export interface ScenarioModules {
  readonly core: unknown;
  readonly testing: unknown;
  readonly audit: unknown;
  readonly z: unknown;
}

/** Writes the scenario's log to `dir` (checkpoint key in `keyDir`). */
export function writeSharedContextLog(
  modules: ScenarioModules,
  where: { readonly dir: string; readonly keyDir: string },
): Promise<{ verifierKey: string; requests: AuthorizationRequest[]; taskIds: string[] }>;
