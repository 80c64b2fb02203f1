import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { WritError } from '@writ/core';
import type { GrpcModule, ProtoLoaderModule } from './workload-api-grpc.js';

/**
 * proto-loader settings shared by the client and anything serving the same definition.
 *
 * @example
 * ```ts
 * const definition = loadSync(workloadProtoPath(), { ...PROTO_LOADER_OPTIONS });
 * ```
 * @internal
 */
export const PROTO_LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

function candidates(): string[] {
  const found: string[] = [];
  // ESM (source and dist): the proto sits next to this module (src/spiffe/) or next to the bundle (dist/).
  // CJS bundles get an empty import.meta, so url is undefined there.
  const url: unknown = import.meta.url;
  if (typeof url === 'string') {
    found.push(fileURLToPath(new URL('./workload.proto', import.meta.url)));
    found.push(join(dirname(fileURLToPath(url)), 'spiffe', 'workload.proto'));
  }
  // CJS builds: __dirname exists there (and only there).
  if (typeof __dirname === 'string') {
    found.push(join(__dirname, 'workload.proto'), join(__dirname, 'spiffe', 'workload.proto'));
  }
  return found;
}

/**
 * Absolute path of the shipped `workload.proto` (next to the module in source, next to the bundle in
 * `dist/`). Throws `WRIT_INTERNAL` when the file is missing from the installation.
 *
 * @example
 * ```ts
 * const definition = loadSync(workloadProtoPath(), { ...PROTO_LOADER_OPTIONS });
 * ```
 * @internal
 */
export function workloadProtoPath(): string {
  const all = candidates();
  const path = all.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new WritError(
      'WRIT_INTERNAL',
      `workload.proto is missing from the installation (looked in ${all.join(', ')})`,
    );
  }
  return path;
}

/**
 * The `SpiffeWorkloadAPI` gRPC client constructor, built from `workload.proto` with the given (already
 * loaded) gRPC packages.
 *
 * @example
 * ```ts
 * const Service = loadWorkloadApiService({ grpc, protoLoader });
 * const raw = new Service('unix:/run/spire/agent.sock', grpc.credentials.createInsecure());
 * ```
 * @internal
 */
export function loadWorkloadApiService(modules: {
  readonly grpc: GrpcModule;
  readonly protoLoader: ProtoLoaderModule;
}): ServiceClientConstructor {
  const definition = modules.protoLoader.loadSync(workloadProtoPath(), { ...PROTO_LOADER_OPTIONS });
  return modules.grpc.loadPackageDefinition(definition).SpiffeWorkloadAPI as ServiceClientConstructor;
}
