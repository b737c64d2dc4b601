/**
 * Under @hono/node-server, `c.req.raw` is a cheap proxy whose method, URL and headers come straight from Node's
 * request; touching its `body` or `signal` builds the full web Request (a web stream over the Node stream, an abort
 * controller), which costs more than the rest of a tool call's HTTP handling. So the body is read from Node's request
 * directly (bounded like the SDK's reader), and the SDK gets a body-less Request with an abort signal that fires when
 * the client goes away. Anywhere else (tests through app.request, other runtimes) the web Request is used as it is.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readRequestBody } from "@modelcontextprotocol/server";

export type BodyRead = { tooLarge: true } | { tooLarge: false; text: string };

interface NodeBindings {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
}

function nodeBindings(env: unknown): NodeBindings | undefined {
  const bindings = env as Partial<NodeBindings> | undefined;
  const incoming = bindings?.incoming;
  return incoming !== undefined && typeof incoming.on === "function" && !incoming.readableDidRead && bindings?.outgoing !== undefined ? (bindings as NodeBindings) : undefined;
}

async function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  if (Number(incoming.headers["content-length"]) > maxBytes) return { tooLarge: true };
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    received += chunk.byteLength;
    if (received > maxBytes) return { tooLarge: true };
    chunks.push(chunk);
  }
  return { tooLarge: false, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString("utf8") };
}

/** Reads the body (at most `maxBytes`) and returns it with the Request to hand the SDK. */
export async function readMcpRequest(request: Request, env: unknown, maxBytes: number): Promise<{ read: BodyRead; request: Request }> {
  const node = nodeBindings(env);
  if (node === undefined) return { read: await readRequestBody(request, maxBytes), request };
  const read = await readIncoming(node.incoming, maxBytes);
  const aborted = new AbortController();
  const onClose = () => {
    if (!node.outgoing.writableFinished) aborted.abort();
  };
  node.outgoing.once("close", onClose);
  return { read, request: new Request(request.url, { method: request.method, headers: request.headers, signal: aborted.signal }) };
}
