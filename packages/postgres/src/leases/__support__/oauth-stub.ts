// Test support: a stub OAuth authorization server on 127.0.0.1 — a real HTTP server, not a mock of fetch.
// `/token` answers RFC 8693 token exchange with an opaque access token; `/revoke` (RFC 7009) records each
// request (form parameters and the client authentication header) and answers 200.
import { createServer, type IncomingMessage } from 'node:http';

export interface RecordedRevocation {
  readonly token: string | null;
  readonly tokenTypeHint: string | null;
  /** The client from `Authorization: Basic` (RFC 6749 §2.3.1: each part form-urlencoded), if any. */
  readonly client: { readonly id: string; readonly secret: string } | undefined;
}

const basicClient = (header: string | undefined) => {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const [id = '', secret = ''] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  return { id: decode(id), secret: decode(secret) };
};

export interface OAuthStub {
  readonly origin: string;
  readonly revocations: readonly RecordedRevocation[];
  readonly issued: readonly string[];
  close(): Promise<void>;
}

const body = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
};

export async function startOAuthStub(): Promise<OAuthStub> {
  const revocations: RecordedRevocation[] = [];
  const issued: string[] = [];
  const server = createServer(async (req, res) => {
    const form = await body(req);
    if (req.method === 'POST' && req.url === '/token') {
      const token = `opaque-access-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      issued.push(token);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({
          access_token: token,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 300,
        }),
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/revoke') {
      revocations.push({
        token: form.get('token'),
        tokenTypeHint: form.get('token_type_hint'),
        client: basicClient(req.headers.authorization),
      });
      res.writeHead(200);
      res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    revocations,
    issued,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
