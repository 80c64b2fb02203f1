/**
 * A real OpenID Provider (oidc-provider 9) for the OIDC tests, on 127.0.0.1 with an ephemeral port,
 * configured in code. Test-only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type ProviderConfiguration, type ResourceServerInfo } from 'oidc-provider';

/** The protected API the OP issues JWT access tokens for (RFC 8707 resource indicator). */
export const PAYMENTS_API = 'https://payments.example';

/** How the OP describes {@link PAYMENTS_API}: JWT access tokens (RFC 9068), ES256, 5 minutes. */
export const PAYMENTS_RESOURCE: ResourceServerInfo = Object.freeze({
  scope: 'payments:read payments:refund orders:read',
  audience: PAYMENTS_API,
  accessTokenTTL: 300,
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: 'ES256' } },
});

/** The callback registered for the browser clients (never served: the tests read the redirect). */
export const REDIRECT_URI = 'http://127.0.0.1/cb';

/** Clients every test OP knows. Secrets are long enough for HS256. */
export const CLIENTS = Object.freeze({
  webapp: { id: 'webapp', secret: 'webapp-secret-0123456789abcdef0123456789' },
  webappHs256: { id: 'webapp-hs256', secret: 'webapp-hs256-secret-0123456789abcdef012345' },
  agent: { id: 'support-agent', secret: 'agent-secret-0123456789abcdef0123456789' },
  agentPost: { id: 'support-agent-post', secret: 'agent-post-secret-0123456789abcdef012345' },
  /** Characters that must be form-encoded in HTTP Basic (RFC 6749 §2.3.1). */
  agentOddSecret: { id: 'agent:odd+id', secret: 'odd secret+with:colon%/and~ 0123456789abcdef' },
});

/** Scopes the OP knows. Without a resource indicator, oidc-provider silently drops any other scope. */
export const SCOPES = Object.freeze([
  'openid',
  'offline_access',
  'profile',
  'email',
  'orders:read',
  'orders:write',
]);

const ACCOUNTS: Readonly<Record<string, { name: string; email: string }>> = {
  alice: { name: 'Alice Example', email: 'alice@example.com' },
};

/** A running test OP. */
export interface TestOp {
  readonly issuer: string;
  readonly provider: Provider;
  /** Requests the OP served, by path (e.g. `/token`), for assertions on caching. */
  readonly hits: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** Options of {@link startOp}. */
export interface StartOpOptions {
  /** Private signing JWKs. @default fresh ES256 + RS256 keys (kids `es-1`, `rs-1`) */
  keys?: JWK[];
  /** More clients (oidc-provider client metadata). */
  clients?: Record<string, unknown>[];
  /** Merged over the base configuration (shallowly; `features` is merged one level deeper). */
  configuration?: ProviderConfiguration;
  /** Runs after construction, before the OP listens (e.g. `registerGrantType`). */
  setup?: (provider: Provider) => void;
}

/**
 * Fresh signing keys for an OP: ES256 and RS256, with the given kids.
 *
 * @example
 * ```ts
 * const keys = await signingKeys(); // [{ kty: 'EC', kid: 'es-1', ... }, { kty: 'RSA', kid: 'rs-1', ... }]
 * ```
 */
export async function signingKeys(kids: { es?: string; rs?: string } = {}): Promise<JWK[]> {
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  return [
    { ...(await exportJWK(es.privateKey)), kid: kids.es ?? 'es-1', use: 'sig' },
    { ...(await exportJWK(rs.privateKey)), kid: kids.rs ?? 'rs-1', use: 'sig' },
  ];
}

/**
 * Starts an OP on 127.0.0.1:0 with client credentials, introspection, revocation and resource
 * indicators enabled, the {@link CLIENTS} registered, and `alice` as the only account.
 *
 * @example
 * ```ts
 * const op = await startOp();
 * afterAll(() => op.close());
 * ```
 */
export async function startOp(options: StartOpOptions = {}): Promise<TestOp> {
  const hits = new Map<string, number>();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { features: extraFeatures, ...extraConfiguration } = options.configuration ?? {};
  const provider = new Provider(issuer, {
    jwks: { keys: options.keys ?? (await signingKeys()) },
    clients: [
      {
        client_id: CLIENTS.webapp.id,
        client_secret: CLIENTS.webapp.secret,
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: CLIENTS.webappHs256.id,
        client_secret: CLIENTS.webappHs256.secret,
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: 'HS256',
      },
      {
        client_id: CLIENTS.agent.id,
        client_secret: CLIENTS.agent.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: CLIENTS.agentPost.id,
        client_secret: CLIENTS.agentPost.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: CLIENTS.agentOddSecret.id,
        client_secret: CLIENTS.agentOddSecret.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      ...(options.clients ?? []),
    ],
    async findAccount(_ctx: unknown, id: string) {
      const account = ACCOUNTS[id];
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    scopes: [...SCOPES],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    // Put the profile claims into the ID token itself (not only behind the userinfo endpoint).
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'HS256'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      // Any authenticated client may introspect (test-only); a client may revoke only its own tokens.
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        async getResourceServerInfo(_ctx: unknown, indicator: string) {
          if (indicator === PAYMENTS_API) return PAYMENTS_RESOURCE;
          throw new errors.InvalidTarget();
        },
      },
      ...(extraFeatures as Record<string, unknown> | undefined),
    },
    ttl: {
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? 600,
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 300,
      Session: 600,
      Grant: 600,
    },
    ...extraConfiguration,
  });
  options.setup?.(provider);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    callback(req, res);
  });
  return {
    issuer,
    provider,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Tokens from the authorization code flow. */
export interface LoginResult {
  readonly idToken: string;
  readonly accessToken: string;
}

/**
 * Signs `accountId` in through the OP's own authorization code flow over HTTP, the way a browser would:
 * `/auth`, the development login and consent interactions (cookies kept in a jar), the redirect with
 * `code`, then the token endpoint. The ID token is the OP's, signed with its keys.
 *
 * @example
 * ```ts
 * const { idToken } = await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'alice' });
 * ```
 */
export async function loginWithAuthorizationCode(
  op: TestOp,
  options: { client: { id: string; secret: string }; accountId: string; scope?: string; nonce?: string },
): Promise<LoginResult> {
  const jar = new Map<string, string>();
  const step = async (path: string, init: RequestInit = {}): Promise<string> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(new URL(path, op.issuer), {
      ...init,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status !== 303 && response.status !== 302)
      throw new Error(`login step ${path}: HTTP ${response.status}`);
    if (location === null) throw new Error(`login step ${path}: no redirect`);
    return location;
  };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const authorize = new URLSearchParams({
    client_id: options.client.id,
    response_type: 'code',
    scope: options.scope ?? 'openid profile email',
    redirect_uri: REDIRECT_URI,
    nonce: options.nonce ?? crypto.randomUUID(),
  });
  let location = await step(`/auth?${authorize}`);
  location = await step(await step(location, form({ prompt: 'login', login: options.accountId })));
  location = await step(await step(location, form({ prompt: 'consent' })));
  const code = new URL(location).searchParams.get('code');
  if (code === null) throw new Error(`authorization failed: ${location}`);
  const response = await fetch(new URL('/token', op.issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${options.client.id}:${options.client.secret}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    }).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  const tokens = (await response.json()) as { id_token?: string; access_token?: string };
  if (tokens.id_token === undefined || tokens.access_token === undefined) {
    throw new Error(`token endpoint: HTTP ${response.status}`);
  }
  return { idToken: tokens.id_token, accessToken: tokens.access_token };
}

/**
 * Asks the OP's introspection endpoint (RFC 7662) whether a token is active.
 *
 * @example
 * ```ts
 * expect(await introspect(op, token, CLIENTS.agent)).toMatchObject({ active: true });
 * ```
 */
export async function introspect(
  op: TestOp,
  token: string,
  client: { id: string; secret: string },
): Promise<Record<string, unknown>> {
  const response = await fetch(new URL('/token/introspection', op.issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as Record<string, unknown>;
}
