/**
 * The 2025-era leg (2025-11-25 and older, the `initialize` handshake), served statelessly: a fresh low-level MCP
 * server on a fresh SDK streamable-HTTP transport without sessions for every request, answering with one JSON body
 * (`MCP_RESPONSE_MODE=json`, the default) or an event stream (`sse`).
 *
 * This is the SDK's documented composition for keeping one's own 2025 serving next to its strict 2026-07-28 entry
 * (`createMcpHandler(factory, { legacy: "reject" })` behind `isLegacyRequest`, see server.ts). The SDK's built-in
 * fallback does the same but always streams (every answer wrapped in two SSE streams) and closes each pair with an
 * error object built for a connection nobody waits on: measurably slower (`npm run bench:mcp`), for no behaviour a
 * stateless tools-only server needs. A JSON answer is complete when it is returned, so the pair is simply dropped
 * (nothing of it is referenced any more: no timer, no listener outlives the request); an event stream closes the
 * pair when it ends or the client goes away, as the SDK's fallback does.
 */
import { WebStandardStreamableHTTPServerTransport, type AuthInfo, type Server } from "@modelcontextprotocol/server";

export interface LegacyLegOptions {
  /** `json`: one application/json body per request; `sse`: a text/event-stream per request. */
  readonly responseMode: "json" | "sse";
  /** Reports transport-level failures (never alters the answer). */
  readonly onerror?: (error: Error) => void;
}

/** Serves one 2025-era POST whose body was already read and parsed (`parsedBody`). */
export type LegacyLeg = (request: Request, parsedBody: unknown, server: Server, authInfo: AuthInfo | undefined) => Promise<Response>;

export function createLegacyLeg(options: LegacyLegOptions): LegacyLeg {
  const enableJsonResponse = options.responseMode === "json";
  return async (request, parsedBody, server, authInfo) => {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse });
    if (options.onerror) transport.onerror = options.onerror;
    let open = true;
    const release = () => {
      if (!open) return;
      open = false;
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    };
    // The client went away before the answer was complete: stop the handlers of this request.
    request.signal?.addEventListener("abort", release, { once: true });
    await server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody, ...(authInfo !== undefined ? { authInfo } : {}) });
    if (enableJsonResponse || response.body === null) {
      request.signal?.removeEventListener("abort", release);
      return response;
    }
    // An event stream: release the pair once it has been delivered, failed, or abandoned by the client.
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            controller.close();
          } else if (value !== undefined) {
            controller.enqueue(value);
          }
        } catch (error) {
          release();
          controller.error(error);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason).catch(() => undefined);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
