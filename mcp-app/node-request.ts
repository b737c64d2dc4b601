/**
 * The body of a `POST /mcp`, read once and bounded by MCP_BODY_LIMIT_BYTES before anything is parsed.
 *
 * Under @hono/node-server (2.x), `c.req.raw` is the adapter's lightweight Request: its method, URL, headers and
 * `signal` (aborted when the client goes away before the answer is complete) come straight from Node's request, and
 * no web Request or web stream is built unless something reads the body through it. Its own body reader has no size
 * bound, so the body is read here from Node's request (a declared Content-Length over the limit first, then counted
 * bytes), and the SDK gets that same lightweight Request with the body already parsed (`parsedBody`): nothing reads
 * the body a second time (a read through the Request would fail: its body is used). Anywhere else (tests through
 * `app.request`, other runtimes) the web Request's body is read with the SDK's bounded reader.
 */
import type { IncomingMessage } from "node:http";
import { readRequestBody } from "@modelcontextprotocol/server";

export type BodyRead = { tooLarge: true } | { tooLarge: false; text: string };

/** Node's request when @hono/node-server serves this one and nobody has started reading its body. */
function unreadIncoming(env: unknown): IncomingMessage | undefined {
  const incoming = (env as { incoming?: Partial<IncomingMessage> } | undefined)?.incoming;
  return incoming !== undefined && typeof incoming.on === "function" && incoming.readableDidRead === false ? (incoming as IncomingMessage) : undefined;
}

/**
 * Node's own events, as the adapter's reader does (an async iterator over the stream costs several times as much per
 * request). Over the limit, nothing more is kept: the rest of the body flows on unread (Node drains it from the
 * connection), so that the 413 still reaches the client on the same connection.
 */
function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  if (Number(incoming.headers["content-length"]) > maxBytes) return Promise.resolve({ tooLarge: true });
  return new Promise<BodyRead>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (outcome: () => void) => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received <= maxBytes) return void chunks.push(chunk);
      settle(() => resolve({ tooLarge: true }));
    };
    const onEnd = () => settle(() => resolve({ tooLarge: false, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString("utf8") }));
    const onError = (error: Error) => settle(() => reject(error));
    const onClose = () => settle(() => reject(new Error("the request was closed before its body was complete")));
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** Reads the request's body as text, at most `maxBytes` (`env`: the Hono context's bindings). */
export function readMcpBody(request: Request, env: unknown, maxBytes: number): Promise<BodyRead> {
  const incoming = unreadIncoming(env);
  return incoming === undefined ? readRequestBody(request, maxBytes) : readIncoming(incoming, maxBytes);
}
