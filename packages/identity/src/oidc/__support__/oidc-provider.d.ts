/**
 * The slice of oidc-provider 9 the OIDC tests use (the package ships no types and @types/oidc-provider is
 * not installed). Test-only.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcClient {
    readonly clientId: string;
  }

  export interface TokenExchangeContext {
    readonly oidc: {
      readonly params: Readonly<Record<string, string | string[] | undefined>>;
      readonly client: OidcClient;
      readonly provider: Provider;
    };
    body: unknown;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export interface ResourceServer {
    readonly audience?: string;
    readonly scope: string;
    readonly accessTokenTTL?: number;
    identifier(): string;
  }

  export interface AccessToken {
    scope?: string;
    resourceServer?: ResourceServer;
    readonly expiration: number;
    save(): Promise<string>;
  }

  export interface IdToken {
    scope?: string;
    issue(options: { use: 'idtoken' }): Promise<string>;
  }

  export interface ProviderConfiguration {
    [key: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(
      name: string,
      handler: (ctx: TokenExchangeContext) => Promise<void>,
      parameters?: readonly string[],
      allowedDuplicateParameters?: readonly string[],
    ): void;
    readonly AccessToken: new (fields: {
      accountId: string;
      client: OidcClient;
      scope?: string;
      gty?: string;
    }) => AccessToken;
    readonly IdToken: new (
      claims: Record<string, unknown>,
      options: { ctx?: TokenExchangeContext; client?: OidcClient },
    ) => IdToken;
    readonly ResourceServer: new (
      identifier: string,
      info: ResourceServerInfo,
    ) => ResourceServer;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    readonly InvalidGrant: new (description?: string) => Error;
    readonly InvalidRequest: new (description?: string) => Error;
    readonly InvalidScope: new (description: string, scope?: string) => Error;
    readonly InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
