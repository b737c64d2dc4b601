/** mcp-app/node-request.ts: the body read from Node's request, and the body-less Request (with abort) for the SDK. */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { readMcpRequest } from "../../mcp-app/node-request.js";

/** Serves one request with `handle` (given Node's request and response), on 127.0.0.1. */
async function withServer(handle: (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void>, client: (port: number) => Promise<void>) {
  const server = createServer((incoming, outgoing) => void handle(incoming, outgoing));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await client((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const webRequest = (incoming: IncomingMessage) =>
  new Request(`http://127.0.0.1${incoming.url}`, { method: incoming.method, headers: incoming.headers as Record<string, string> });

describe("readMcpRequest", () => {
  it("reads the body from Node's request (multi-byte text across chunks) and gives a body-less Request with the same method, URL and headers", async () => {
    let seen: { text?: string; method?: string; url?: string; header?: string | null; body?: unknown } = {};
    await withServer(
      async (incoming, outgoing) => {
        const { read, request } = await readMcpRequest(webRequest(incoming), { incoming, outgoing }, 1024);
        seen = { text: read.tooLarge ? undefined : read.text, method: request.method, url: request.url, header: request.headers.get("x-test"), body: request.body };
        outgoing.end("ok");
      },
      async (port) => {
        const chunks = [Buffer.from("{\"city\":\"Z"), Buffer.from("ürich ☀\"}")];
        const response = await fetch(`http://127.0.0.1:${port}/mcp?x=1`, {
          method: "POST",
          headers: { "x-test": "yes" },
          body: new ReadableStream({ pull: (controller) => (chunks.length ? controller.enqueue(chunks.shift()!) : controller.close()) }),
          duplex: "half",
        } as RequestInit);
        await response.text();
      },
    );
    expect(seen).toEqual({ text: '{"city":"Zürich ☀"}', method: "POST", url: "http://127.0.0.1/mcp?x=1", header: "yes", body: null });
  });

  it.each([
    ["declared", true],
    ["streamed", false],
  ])("refuses a %s body over the limit", async (_name, declared) => {
    let tooLarge: boolean | undefined;
    await withServer(
      async (incoming, outgoing) => {
        tooLarge = (await readMcpRequest(webRequest(incoming), { incoming, outgoing }, 1024)).read.tooLarge;
        outgoing.end();
      },
      async (port) => {
        const body = "x".repeat(2000);
        const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
          method: "POST",
          body: declared ? body : new ReadableStream({ start: (controller) => (controller.enqueue(new TextEncoder().encode(body)), controller.close()) }),
          duplex: "half",
        } as RequestInit).catch(() => undefined);
        await response?.text().catch(() => undefined);
      },
    );
    expect(tooLarge).toBe(true);
  });

  it("aborts the Request's signal when the client goes away before the answer, not after a finished answer", async () => {
    const signals: AbortSignal[] = [];
    let release!: () => void;
    const gone = new Promise<void>((resolve) => (release = resolve));
    let listening!: () => void;
    const waiting = new Promise<void>((resolve) => (listening = resolve));
    await withServer(
      async (incoming, outgoing) => {
        const { request } = await readMcpRequest(webRequest(incoming), { incoming, outgoing }, 1024);
        signals.push(request.signal);
        if (incoming.url === "/finished") return void outgoing.end("done");
        request.signal.addEventListener("abort", () => release());
        listening();
      },
      async (port) => {
        const finished = await fetch(`http://127.0.0.1:${port}/finished`, { method: "POST", body: "{}" });
        expect(await finished.text()).toBe("done");
        const pending = httpRequest({ host: "127.0.0.1", port, path: "/pending", method: "POST" });
        pending.on("error", () => undefined);
        pending.end("{}");
        // The client leaves once the server holds the request (however long that takes), not after a guessed delay.
        await waiting;
        pending.destroy();
        await gone;
      },
    );
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
  });

  it("outside Node (no bindings) reads the web Request with the SDK's bounded reader", async () => {
    const request = new Request("http://127.0.0.1/mcp", { method: "POST", body: "{\"a\":1}" });
    const { read, request: passed } = await readMcpRequest(request, undefined, 1024);
    expect(read).toEqual({ tooLarge: false, text: '{"a":1}' });
    expect(passed).toBe(request);
  });
});
