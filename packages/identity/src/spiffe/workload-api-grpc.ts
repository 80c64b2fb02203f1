import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { WritError } from '@writ/core';
import { loadWorkloadApiService } from './workload-api-proto.js';

/**
 * The optional peer dependencies the Workload API client loads on first use, and only then: users who do
 * not use SPIFFE's Workload API neither install nor load a gRPC stack.
 *
 * @example
 * ```ts
 * console.log(`npm install ${WORKLOAD_API_PACKAGES.join(' ')}`);
 * ```
 * @internal
 */
export const WORKLOAD_API_PACKAGES = Object.freeze(['@grpc/grpc-js', '@grpc/proto-loader'] as const);

/**
 * gRPC status codes (grpc/doc/statuscodes.md): the numbers on the wire, so that mapping a failure needs
 * no gRPC module loaded.
 *
 * @example
 * ```ts
 * if (error.code === GRPC_STATUS.UNAVAILABLE) retry();
 * ```
 * @internal
 */
export const GRPC_STATUS = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
});

/** `@grpc/grpc-js`, as the client uses it. @internal */
export type GrpcModule = typeof import('@grpc/grpc-js');

/** `@grpc/proto-loader`, as the client uses it. @internal */
export type ProtoLoaderModule = typeof import('@grpc/proto-loader');

/**
 * What the Workload API client needs from gRPC once loaded: the module (credentials, metadata) and the
 * `SpiffeWorkloadAPI` client constructor built from the shipped `workload.proto`.
 *
 * @example
 * ```ts
 * const { grpc, Service } = await loadWorkloadApiGrpc();
 * const stub = new Service('unix:/run/spire/agent.sock', grpc.credentials.createInsecure());
 * ```
 * @internal
 */
export interface WorkloadApiGrpc {
  readonly grpc: GrpcModule;
  readonly Service: ServiceClientConstructor;
}

/**
 * Imports the two gRPC packages (the seam tests replace to see what a missing install does).
 *
 * @example
 * ```ts
 * const { grpc, protoLoader } = await importGrpcPackages();
 * ```
 * @internal
 */
export type GrpcImporter = () => Promise<{ grpc: GrpcModule; protoLoader: ProtoLoaderModule }>;

const importGrpcPackages: GrpcImporter = async () => {
  const [grpc, protoLoader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
  return { grpc, protoLoader };
};

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * The error for a gRPC package that is not installed: names what to install.
 *
 * @example
 * ```ts
 * throw grpcMissing(cause); // WRIT_IDENTITY_UNAVAILABLE, details.reason 'grpc_missing'
 * ```
 * @internal
 */
export function grpcMissing(cause: unknown): WritError {
  const packages = [...WORKLOAD_API_PACKAGES];
  return new WritError(
    'WRIT_IDENTITY_UNAVAILABLE',
    `the SPIFFE Workload API client needs the optional packages ${packages.join(' and ')}: npm install ${packages.join(' ')}`,
    { cause, details: { reason: 'grpc_missing', packages } },
  );
}

let loaded: Promise<WorkloadApiGrpc> | undefined;

/**
 * Loads gRPC and the `SpiffeWorkloadAPI` service definition once per process, on first use. A missing
 * package rejects with `WRIT_IDENTITY_UNAVAILABLE` (reason `grpc_missing`) naming both packages to
 * install; a missing `workload.proto` with `WRIT_INTERNAL`. A failed load is not cached: installing the
 * packages and calling again works.
 *
 * @example
 * ```ts
 * const { grpc, Service } = await loadWorkloadApiGrpc();
 * ```
 * @internal
 */
export function loadWorkloadApiGrpc(
  importPackages: GrpcImporter = importGrpcPackages,
): Promise<WorkloadApiGrpc> {
  if (importPackages !== importGrpcPackages) return load(importPackages);
  loaded ??= load(importPackages).catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

async function load(importPackages: GrpcImporter): Promise<WorkloadApiGrpc> {
  let modules: Awaited<ReturnType<GrpcImporter>>;
  try {
    modules = await importPackages();
  } catch (error) {
    if (NOT_FOUND.has((error as { code?: unknown } | null)?.code as string)) throw grpcMissing(error);
    throw new WritError(
      'WRIT_IDENTITY_UNAVAILABLE',
      'the gRPC packages of the Workload API client failed to load',
      {
        cause: error,
        details: { reason: 'grpc_unloadable' },
      },
    );
  }
  return { grpc: modules.grpc, Service: loadWorkloadApiService(modules) };
}
