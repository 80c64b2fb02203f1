import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One block of a scripted assistant turn. */
export type ScriptedBlock =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: Record<string, unknown>;
    };

/** A request the CLI sent to `POST /v1/messages` (its parsed JSON body). */
export interface MessagesRequest {
  readonly model?: string;
  readonly stream?: boolean;
  readonly system?: unknown;
  readonly tools?: ReadonlyArray<{ name: string }>;
  readonly messages: ReadonlyArray<{ role: string; content: unknown }>;
}

/**
 * What the scripted model answers a request: the blocks of its turn, chosen from the request (e.g. by
 * the last tool result it carries). Return `undefined` to end the turn with a plain "done" text.
 */
export type Script = (request: MessagesRequest, index: number) => readonly ScriptedBlock[] | undefined;

/** A scripted Anthropic Messages API on 127.0.0.1: the model the real Claude Code loop talks to. */
export interface ScriptedMessagesServer {
  /** `http://127.0.0.1:<port>`: the CLI's `ANTHROPIC_BASE_URL`. */
  readonly url: string;
  /** Every `/v1/messages` request, in order. */
  readonly requests: MessagesRequest[];
  /** Every request's path (to see that nothing else was asked). */
  readonly paths: string[];
  close(): Promise<void>;
}

/** The text of a `tool_result` block for `toolUseId` in the request's last user turn, if any. */
export function toolResultText(request: MessagesRequest, toolUseId: string): string | undefined {
  for (const message of [...request.messages].reverse()) {
    if (message.role !== 'user' || !Array.isArray(message.content)) continue;
    for (const block of message.content as Array<Record<string, unknown>>) {
      if (block.type !== 'tool_result' || block.tool_use_id !== toolUseId) continue;
      const content = block.content;
      if (typeof content === 'string') return content;
      if (Array.isArray(content)) {
        return (content as Array<{ type?: string; text?: string }>)
          .map((c) => (c.type === 'text' ? (c.text ?? '') : ''))
          .join('');
      }
      return '';
    }
  }
  return undefined;
}

/** Whether the request carries a result for `toolUseId` (the scripted turn that asked for it is done). */
export function hasToolResult(request: MessagesRequest, toolUseId: string): boolean {
  return toolResultText(request, toolUseId) !== undefined;
}

/** The first user text of the request (the prompt, or a sub-agent's task). */
export function firstUserText(request: MessagesRequest): string {
  const first = request.messages.find((m) => m.role === 'user');
  if (first === undefined) return '';
  if (typeof first.content === 'string') return first.content;
  return (first.content as Array<{ type?: string; text?: string }>)
    .map((c) => (c.type === 'text' ? (c.text ?? '') : ''))
    .join('\n');
}

/**
 * Starts a scripted Messages API server (streaming SSE and plain JSON, as the request asks). Any path but
 * `POST /v1/messages` gets 404, so a CLI that reaches for something else shows up in `paths`.
 */
export async function startMessagesServer(script: Script): Promise<ScriptedMessagesServer> {
  const requests: MessagesRequest[] = [];
  const paths: string[] = [];
  let messageCount = 0;
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').split('?')[0] ?? '';
    paths.push(`${req.method} ${path}`);
    if (req.method !== 'POST' || path !== '/v1/messages') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: path } }));
      return;
    }
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessagesRequest;
    const index = requests.length;
    requests.push(request);
    let blocks: readonly ScriptedBlock[];
    try {
      blocks = script(request, index) ?? [{ type: 'text', text: 'done' }];
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(error) } }));
      return;
    }
    const id = `msg_scripted_${++messageCount}`;
    const model = request.model ?? 'claude-scripted';
    const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
    const usage = {
      input_tokens: 10,
      output_tokens: 5,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    };
    if (request.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': id });
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: blocks,
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': id,
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    blocks.forEach((block, i) => {
      if (block.type === 'text') {
        send('content_block_start', {
          type: 'content_block_start',
          index: i,
          content_block: { type: 'text', text: '' },
        });
        send('content_block_delta', {
          type: 'content_block_delta',
          index: i,
          delta: { type: 'text_delta', text: block.text },
        });
      } else {
        send('content_block_start', {
          type: 'content_block_start',
          index: i,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        send('content_block_delta', {
          type: 'content_block_delta',
          index: i,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
        });
      }
      send('content_block_stop', { type: 'content_block_stop', index: i });
    });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
