/**
 * `writ`: Writ with batteries included. Everything from `@writ/core`, plus a `createWrit` that works
 * with zero configuration on the embedded local authority, the shipped Cedar policy set and the
 * tamper-evident file log.
 * @packageDocumentation
 * @module writ
 */
export * from '@writ/core';
export {
  configSchema,
  ENV_VARS,
  loadConfig,
  mergeConfig,
  readConfigFile,
  readEnvConfig,
  type WritConfig,
} from './config.js';
export {
  type CreateWritOptions,
  createWrit,
  type EmbeddedComponents,
  type WritRuntime,
} from './create-writ.js';
export type { WritPublicKeys } from './public-keys.js';
export type { WritStore, WritStoreContext, WritStoreServices } from './writ-store.js';
