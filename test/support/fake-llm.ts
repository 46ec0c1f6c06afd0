import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeLlmScript =
  /** Streams `chunks` as Chat Completions deltas, then a usage chunk and [DONE]; `hangAfter` stops sending (never ends) after that many chunks. */
  | { kind: 'stream'; chunks: string[]; usage?: { prompt_tokens: number; completion_tokens: number }; hangAfter?: number; delayMs?: number }
  | { kind: 'status'; status: number }
  | { kind: 'hang' };

export interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    stream: boolean;
    stream_options?: { include_usage?: boolean };
    max_completion_tokens?: number;
    messages: { role: string; content: string }[];
  };
}

/** An OpenAI-compatible Chat Completions server on 127.0.0.1, speaking the streaming wire format. */
export class FakeLlmServer {
  readonly received: ReceivedRequest[] = [];
  /** Requests whose client hung up before the response ended (an aborted model call). */
  abortedByClient = 0;
  script: FakeLlmScript = { kind: 'stream', chunks: ['Hello', ' world', '!'], usage: { prompt_tokens: 11, completion_tokens: 7 } };
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    this.received.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(raw) });
    res.on('close', () => {
      if (!res.writableFinished) this.abortedByClient++;
    });
    const script = this.script;
    if (script.kind === 'hang') return;
    if (script.kind === 'status') {
      res
        .writeHead(script.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const frame = (payload: object) =>
      res.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'fake-model', ...payload })}\n\n`,
      );
    frame({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (const [i, content] of script.chunks.entries()) {
      if (script.hangAfter !== undefined && i >= script.hangAfter) return;
      frame({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
      await new Promise((resolve) => setTimeout(resolve, script.delayMs ?? 5));
    }
    frame({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (script.usage)
      frame({ choices: [], usage: { ...script.usage, total_tokens: script.usage.prompt_tokens + script.usage.completion_tokens } });
    res.end('data: [DONE]\n\n');
  }
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parses a complete text/event-stream body into events (comment lines are skipped). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((frame) => frame.split('\n').filter((line) => line && !line.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => ({
      event: lines.find((line) => line.startsWith('event: '))!.slice(7),
      data: JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice(6)),
    }));
}
