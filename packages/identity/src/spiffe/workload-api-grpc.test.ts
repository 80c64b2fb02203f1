import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { failure } from '../__support__/failure.js';
import { createWorkloadApiConnection } from './workload-api-connection.js';
import {
  GRPC_STATUS,
  type GrpcImporter,
  loadWorkloadApiGrpc,
  WORKLOAD_API_PACKAGES,
} from './workload-api-grpc.js';

// What an installation without the optional gRPC packages sees: Node's own "not found" error, from
// importing a package that is not there (the consumer check in test/consumers/ does the same with the
// packages really absent).
const notInstalled: GrpcImporter = async () => {
  await import(`@grpc/grpc-js-not-installed-${process.pid}`);
  throw new Error('unreachable: the import above must fail');
};

const SETTINGS = { timeoutMs: 1_000, maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1, random: () => 0 };

describe('the Workload API client loads gRPC only when used', () => {
  it('loads the installed packages and builds the SpiffeWorkloadAPI client from the shipped proto', async () => {
    const { grpc, Service } = await loadWorkloadApiGrpc();
    expect(typeof grpc.credentials.createInsecure).toBe('function');
    expect(Object.keys(Service.service).sort()).toEqual([
      'FetchJWTBundles',
      'FetchJWTSVID',
      'FetchX509Bundles',
      'FetchX509SVID',
      'ValidateJWTSVID',
    ]);
    expect(await loadWorkloadApiGrpc()).toBe(await loadWorkloadApiGrpc()); // loaded once per process
  });

  it('a missing package is a typed error naming both packages to install', async () => {
    const error = await failure(loadWorkloadApiGrpc(notInstalled));
    expect(error.code).toBe('WRIT_IDENTITY_UNAVAILABLE');
    expect(error.message).toBe(
      'the SPIFFE Workload API client needs the optional packages @grpc/grpc-js and @grpc/proto-loader: ' +
        'npm install @grpc/grpc-js @grpc/proto-loader',
    );
    expect(error.details).toEqual({ reason: 'grpc_missing', packages: [...WORKLOAD_API_PACKAGES] });
    expect((error.cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('any other load failure is reported as such, not as a missing package', async () => {
    const error = await failure(
      loadWorkloadApiGrpc(async () => {
        throw new TypeError('broken install');
      }),
    );
    expect(error).toMatchObject({
      code: 'WRIT_IDENTITY_UNAVAILABLE',
      details: { reason: 'grpc_unloadable' },
    });
  });

  it('a connection is created without gRPC; its first call fails with the typed error, and is not retried', async () => {
    let loads = 0;
    const connection = createWorkloadApiConnection('unix:/nonexistent/agent.sock', SETTINGS, () => {
      loads += 1;
      return loadWorkloadApiGrpc(notInstalled);
    });
    expect(loads).toBe(0);
    const error = await failure(
      connection.unary('FetchJWTSVID', undefined, () => {
        throw new Error('unreachable: no stub without gRPC');
      }),
    );
    expect(error).toMatchObject({ code: 'WRIT_IDENTITY_UNAVAILABLE', details: { reason: 'grpc_missing' } });
    expect(loads).toBeGreaterThan(0);
    connection.close();
  });

  it("GRPC_STATUS holds gRPC's own status numbers", () => {
    for (const [name, code] of Object.entries(GRPC_STATUS)) {
      expect(status[name as keyof typeof status], name).toBe(code);
    }
    expect(Object.keys(GRPC_STATUS)).toHaveLength(
      Object.values(status).filter((v) => typeof v === 'number').length,
    );
  });
});
