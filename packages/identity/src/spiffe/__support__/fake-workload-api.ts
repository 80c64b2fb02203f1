// Test support: a SPIFFE Workload API server built from the same workload.proto the client ships, listening
// on a unix socket in a temp dir. It stands in for a SPIRE agent, which cannot run here. It enforces the
// `workload.spiffe.io: true` header (INVALID_ARGUMENT otherwise) like a real agent, serves real signed
// JWT-SVIDs, streams full bundle sets, and can be told to fail calls or restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadPackageDefinition,
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  createWorkloadApiConnection,
  type WorkloadApiConnection,
  type WorkloadApiConnectionSettings,
} from '../workload-api-connection.js';
import { PROTO_LOADER_OPTIONS, workloadProtoPath } from '../workload-api-proto.js';

export interface FakeSvid {
  spiffeId: string;
  mint: (audience: string[]) => string;
  hint?: string;
}

export interface FakeCall {
  method: string;
  header: string | undefined;
  request: unknown;
}

type Method = 'FetchJWTSVID' | 'FetchJWTBundles' | 'ValidateJWTSVID';

export interface FakeWorkloadApi {
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://<socketPath>` */
  readonly endpoint: string;
  readonly calls: FakeCall[];
  /** The service constructor loaded from workload.proto (to make raw calls). */
  readonly Service: ServiceClientConstructor;
  svids: FakeSvid[];
  /** Replaces the bundles (trust domain ID → JWKS) and pushes the full set to every open stream. */
  setBundles(bundles: Record<string, unknown>): void;
  /** The next `count` calls of `method` fail with `code`. */
  failNext(method: Method, count: number, code: status): void;
  /** The next call of a unary `method` answers `response` as is (an agent that breaks the protocol). */
  answerNext(method: 'FetchJWTSVID' | 'ValidateJWTSVID', response: unknown): void;
  /** Ends every open FetchJWTBundles stream with `code` (as an agent does when it redacts everything). */
  endStreams(code: status, details?: string): void;
  /** Number of FetchJWTBundles streams currently open. */
  openStreams(): number;
  start(): Promise<void>;
  /** Kills the server and every open stream (the client sees UNAVAILABLE / a broken stream). */
  stop(): Promise<void>;
  /** Stops and removes the temp dir. */
  dispose(): Promise<void>;
}

const encode = (jwks: unknown) => Buffer.from(typeof jwks === 'string' ? jwks : JSON.stringify(jwks));

function toValue(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value as Record<string, unknown>) };
}

function toStruct(object: Record<string, unknown>): { fields: Record<string, unknown> } {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) };
}

export function createFakeWorkloadApi(): FakeWorkloadApi {
  const dir = mkdtempSync(join(tmpdir(), 'writ-spiffe-'));
  const socketPath = join(dir, 'agent.sock');
  const definition = loadSync(workloadProtoPath(), { ...PROTO_LOADER_OPTIONS });
  const Service = loadPackageDefinition(definition).SpiffeWorkloadAPI as ServiceClientConstructor;
  const calls: FakeCall[] = [];
  const failures = new Map<Method, { count: number; code: status }>();
  const answers = new Map<Method, unknown>();
  const scripted = (method: Method, callback: sendUnaryData<unknown>): boolean => {
    if (!answers.has(method)) return false;
    const response = answers.get(method);
    answers.delete(method);
    callback(null, response);
    return true;
  };
  const streams = new Set<ServerWritableStream<unknown, unknown>>();
  let bundles: Record<string, unknown> = {};
  let server: Server | undefined;

  const admit = (
    method: Method,
    metadata: Metadata,
    request: unknown,
  ): { code: status; details: string } | undefined => {
    const header = metadata.get('workload.spiffe.io')[0];
    calls.push({ method, header: header === undefined ? undefined : String(header), request });
    if (header !== 'true')
      return { code: status.INVALID_ARGUMENT, details: 'security header missing from request' };
    const failure = failures.get(method);
    if (failure !== undefined && failure.count > 0) {
      failure.count--;
      return { code: failure.code, details: 'injected failure' };
    }
    return undefined;
  };

  const message = () => ({
    bundles: Object.fromEntries(Object.entries(bundles).map(([td, jwks]) => [td, encode(jwks)])),
  });

  const handlers = {
    FetchJWTSVID(
      call: ServerUnaryCall<{ audience: string[]; spiffe_id: string }, unknown>,
      callback: sendUnaryData<unknown>,
    ) {
      const refused = admit('FetchJWTSVID', call.metadata, call.request);
      if (refused) return callback(refused, null);
      if (scripted('FetchJWTSVID', callback)) return;
      if (call.request.audience.length === 0) {
        return callback({ code: status.INVALID_ARGUMENT, details: 'audience must be specified' }, null);
      }
      const wanted = call.request.spiffe_id;
      const entitled = api.svids.filter((svid) => wanted === '' || svid.spiffeId === wanted);
      if (entitled.length === 0)
        return callback({ code: status.PERMISSION_DENIED, details: 'no identity issued' }, null);
      callback(null, {
        svids: entitled.map((svid) => ({
          spiffe_id: svid.spiffeId,
          svid: svid.mint(call.request.audience),
          hint: svid.hint ?? '',
        })),
      });
    },
    FetchJWTBundles(call: ServerWritableStream<unknown, unknown>) {
      const refused = admit('FetchJWTBundles', call.metadata, call.request);
      if (refused) {
        call.emit('error', refused);
        return;
      }
      streams.add(call);
      call.on('cancelled', () => streams.delete(call));
      call.on('close', () => streams.delete(call));
      call.write(message());
    },
    async ValidateJWTSVID(
      call: ServerUnaryCall<{ audience: string; svid: string }, unknown>,
      callback: sendUnaryData<unknown>,
    ) {
      const refused = admit('ValidateJWTSVID', call.metadata, call.request);
      if (refused) return callback(refused, null);
      if (scripted('ValidateJWTSVID', callback)) return;
      try {
        const payload = JSON.parse(
          Buffer.from(call.request.svid.split('.')[1] ?? '', 'base64url').toString(),
        ) as { sub: string };
        const td = `spiffe://${payload.sub.slice('spiffe://'.length).split('/')[0]}`;
        const jwks = JSON.parse(encode(bundles[td] ?? { keys: [] }).toString()) as {
          keys: Record<string, unknown>[];
        };
        const keys = jwks.keys.map(({ use: _use, ...key }) => key);
        const verified = await jwtVerify(call.request.svid, createLocalJWKSet({ keys }), {
          audience: call.request.audience,
        });
        callback(null, {
          spiffe_id: verified.payload.sub,
          claims: toStruct(verified.payload as Record<string, unknown>),
        });
      } catch (error) {
        callback(
          { code: status.INVALID_ARGUMENT, details: `invalid JWT-SVID: ${(error as Error).message}` },
          null,
        );
      }
    },
  };

  const api: FakeWorkloadApi = {
    dir,
    socketPath,
    endpoint: `unix://${socketPath}`,
    calls,
    Service,
    svids: [],
    setBundles(next) {
      bundles = { ...next };
      for (const stream of streams) stream.write(message());
    },
    failNext(method, count, code) {
      failures.set(method, { count, code });
    },
    answerNext(method, response) {
      answers.set(method, response);
    },
    endStreams(code, details = 'ended by test') {
      for (const stream of [...streams]) {
        streams.delete(stream);
        stream.emit('error', { code, details });
      }
    },
    openStreams: () => streams.size,
    async start() {
      rmSync(socketPath, { force: true });
      const next = new Server();
      next.addService(Service.service, handlers);
      await new Promise<void>((resolve, reject) =>
        next.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      server = next;
    },
    async stop() {
      streams.clear();
      server?.forceShutdown();
      server = undefined;
    },
    async dispose() {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}

/** A connection to the fake with short backoff (1 to 4 ms, fixed jitter) and two attempts per call. */
export function connectToFake(
  fake: FakeWorkloadApi,
  overrides: Partial<WorkloadApiConnectionSettings> = {},
): WorkloadApiConnection {
  return createWorkloadApiConnection(`unix:${fake.socketPath}`, {
    timeoutMs: 5_000,
    maxAttempts: 2,
    initialDelayMs: 1,
    maxDelayMs: 4,
    random: () => 0.5,
    ...overrides,
  });
}
