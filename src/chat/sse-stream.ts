import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeader, ServerResponse } from 'node:http';

/**
 * Server-Sent Events on a Fastify reply: takes the response over from Fastify (keeping the headers its
 * hooks set, such as X-Request-Id and helmet's), writes `event:`/`data:` frames, and a comment line every
 * `heartbeatMs` so idle proxies keep the connection open. `clientGone` aborts if the client disconnects
 * before end().
 */
export class SseStream {
  private readonly raw: ServerResponse;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly disconnect = new AbortController();
  readonly clientGone = this.disconnect.signal;

  constructor(reply: FastifyReply, heartbeatMs: number) {
    reply.hijack();
    this.raw = reply.raw;
    const fromHooks = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined) as [string, OutgoingHttpHeader][];
    this.raw.writeHead(200, {
      ...Object.fromEntries(fromHooks),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.raw.flushHeaders();
    this.heartbeat = setInterval(() => this.raw.write(': keep-alive\n\n'), heartbeatMs);
    this.raw.on('close', () => {
      clearInterval(this.heartbeat);
      if (!this.raw.writableFinished) this.disconnect.abort();
    });
    // Gone before the stream began (while the turn was being stored): 'close' has fired already.
    if (clientAlreadyGone(reply)) this.disconnect.abort();
  }

  send(event: string, data: unknown): void {
    if (!this.raw.writableEnded && !this.raw.destroyed) this.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.raw.writableEnded) this.raw.end();
  }
}

/** For non-streamed requests: aborts when the client disconnects before the response is sent. */
export function clientDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  if (clientAlreadyGone(reply)) controller.abort();
  return controller.signal;
}

/** The connection closed before we started answering (the request stream itself ends once its body is read). */
function clientAlreadyGone(reply: FastifyReply): boolean {
  return reply.raw.destroyed || reply.raw.socket?.destroyed === true;
}
