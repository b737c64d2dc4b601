/**
 * mcp-app/node-request.ts: the body read from Node's request under @hono/node-server, bounded; the adapter's own
 * Request (what the SDK gets) keeps its method, URL, headers and an abort signal for a client that goes away.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { describe, expect, it } from "vitest";
import { readMcpBody } from "../../mcp-app/node-request.js";

/** Serves with `handle` behind @hono/node-server's listener (as `serve` does), on 127.0.0.1. */
async function withServer(handle: (request: Request, env: unknown) => Promise<Response>, client: (port: number) => Promise<void>) {
  const server = createServer(getRequestListener(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await client((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("readMcpBody", () => {
  it("reads the body from Node's request (multi-byte text across chunks); the Request keeps method, URL and headers, and its body cannot be read twice", async () => {
    let seen: Record<string, unknown> = {};
    await withServer(
      async (request, env) => {
        const read = await readMcpBody(request, env, 1024);
        const again = await request.text().then(
          () => "read again",
          (error: Error) => error.name,
        );
        seen = { text: read.tooLarge ? undefined : read.text, method: request.method, path: `${new URL(request.url).pathname}${new URL(request.url).search}`, header: request.headers.get("x-test"), again };
        return new Response("ok");
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
    expect(seen).toEqual({ text: '{"city":"Zürich ☀"}', method: "POST", path: "/mcp?x=1", header: "yes", again: "TypeError" });
  });

  it.each([
    ["declared", true],
    ["streamed", false],
  ])("refuses a %s body over the limit", async (_name, declared) => {
    let tooLarge: boolean | undefined;
    await withServer(
      async (request, env) => {
        tooLarge = (await readMcpBody(request, env, 1024)).tooLarge;
        return new Response(null, { status: 413 });
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

  it("the Request's signal aborts when the client goes away before the answer, not after a finished answer", async () => {
    const signals: AbortSignal[] = [];
    let release!: () => void;
    const gone = new Promise<void>((resolve) => (release = resolve));
    let listening!: () => void;
    const waiting = new Promise<void>((resolve) => (listening = resolve));
    await withServer(
      async (request, env) => {
        await readMcpBody(request, env, 1024);
        signals.push(request.signal);
        if (new URL(request.url).pathname === "/finished") return new Response("done");
        const aborted = new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve()));
        listening();
        await aborted;
        release();
        return new Response(null, { status: 499 });
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

  it("fails the read, instead of waiting forever, when the client goes away in the middle of the body", async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let settled!: (outcome: string) => void;
    const outcome = new Promise<string>((resolve) => (settled = resolve));
    await withServer(
      async (request, env) => {
        entered();
        settled(await readMcpBody(request, env, 1024).then(() => "read", () => "failed"));
        return new Response(null, { status: 400 });
      },
      async (port) => {
        const partial = httpRequest({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers: { "content-length": "100" } });
        partial.on("error", () => undefined);
        partial.write("{\"jsonrpc\":");
        await inHandler;
        partial.destroy();
        await outcome;
      },
    );
    expect(await outcome).toBe("failed");
  });

  it("outside Node (no bindings) reads the web Request with the SDK's bounded reader", async () => {
    const request = new Request("http://127.0.0.1/mcp", { method: "POST", body: "{\"a\":1}" });
    expect(await readMcpBody(request, undefined, 1024)).toEqual({ tooLarge: false, text: '{"a":1}' });
    const large = new Request("http://127.0.0.1/mcp", { method: "POST", body: "x".repeat(2000) });
    expect(await readMcpBody(large, undefined, 1024)).toEqual({ tooLarge: true });
  });
});
