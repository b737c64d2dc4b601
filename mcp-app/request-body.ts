/**
 * Bounded request-body reading. Under @hono/node-server the body is read straight from Node's IncomingMessage
 * (`c.env.incoming`), which avoids materialising a web Request and stream per call (measurably cheaper); anywhere
 * else (tests through app.request, other runtimes) the SDK v2 web-stream reader is used. Both refuse a declared
 * Content-Length over the limit without reading, and stop reading as soon as more than the limit has arrived.
 */
import type { IncomingMessage } from "node:http";
import { readRequestBody } from "@modelcontextprotocol/server";

export type BodyRead = { tooLarge: true } | { tooLarge: false; text: string };

function isIncomingMessage(value: unknown): value is IncomingMessage {
  return typeof value === "object" && value !== null && typeof (value as IncomingMessage).on === "function" && "headers" in value && "method" in value;
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

/** Reads the body of `request` (or of the Node request in `env`, when there is one) up to `maxBytes`. */
export function readBody(request: Request, env: unknown, maxBytes: number): Promise<BodyRead> {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  if (isIncomingMessage(incoming) && !incoming.readableDidRead) {
    return readIncoming(incoming, maxBytes);
  }
  return readRequestBody(request, maxBytes);
}
