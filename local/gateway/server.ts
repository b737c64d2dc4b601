/**
 * The local gateway's HTTP server (node:http on 127.0.0.1): routes each request to an API and
 * operation, builds the policy context, runs the pipeline and writes the response, streaming a
 * non-buffered backend body (SSE) through as it arrives.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ApiConfig, GatewayConfig, OperationConfig } from "./config.js";
import { HeaderBag } from "./headers.js";
import { applyCors, defaultReason, PolicyInterpreter, type ExecState, type InterpreterServices, type ResponseMessage } from "./interpreter.js";
import { route } from "./router.js";

export interface GatewayServerOptions extends InterpreterServices {
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * A server already listening on 127.0.0.1 (its port is used, `port` is ignored): callers that must know the
   * gateway's URL before its configuration bind first, so no port is ever reserved and released. @default a new one
   */
  readonly listener?: http.Server;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /**
   * Largest request body accepted, in bytes; larger ones get 413.
   * @default 4194304 (4 MiB)
   */
  readonly maxRequestBodyBytes?: number;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly interpreter: PolicyInterpreter;
  close(): Promise<void>;
}

function notFound(): ResponseMessage {
  const headers = new HeaderBag();
  headers.set("Content-Type", ["application/json"]);
  return { status: 404, reason: "Resource Not Found", headers, body: Buffer.from(JSON.stringify({ statusCode: 404, message: "Resource not found" })) };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) return "too-large";
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function writeResponse(res: http.ServerResponse, r: ResponseMessage, onBackendError: (e: Error) => void): void {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of r.headers.entries()) {
    const lk = k.toLowerCase();
    if (lk === "transfer-encoding" || lk === "connection") continue;
    if (lk === "content-length" && !(r.body instanceof Readable)) continue;
    headers[k] = v;
  }
  if (r.body === null || Buffer.isBuffer(r.body)) {
    const b = r.body ?? Buffer.alloc(0);
    headers["Content-Length"] = [String(b.length)];
    res.writeHead(r.status, r.reason || defaultReason(r.status), headers);
    res.end(b);
    return;
  }
  res.writeHead(r.status, r.reason || defaultReason(r.status), headers);
  res.flushHeaders();
  const stream = r.body;
  stream.pipe(res);
  stream.on("error", (e) => {
    onBackendError(e);
    res.destroy(e);
  });
  res.on("close", () => stream.destroy());
}

/** Builds the request handler (usable in tests without a listening socket). */
export function createGatewayHandler(interpreter: PolicyInterpreter, config: GatewayConfig, options: GatewayServerOptions): http.RequestListener {
  const maxBody = options.maxRequestBodyBytes ?? 4 * 1024 * 1024;
  const logger = options.logger ?? { debug: () => undefined, warn: (m: string) => console.warn(m) };
  return (req, res) => {
    void (async () => {
      const host = req.headers.host ?? `${options.host ?? "127.0.0.1"}`;
      let originalUrl: URL;
      try {
        originalUrl = new URL(req.url ?? "/", `http://${host}`);
      } catch {
        res.writeHead(400, { "Content-Type": "text/plain" }).end("Bad request URL");
        return;
      }
      const method = (req.method ?? "GET").toUpperCase();
      const r = route<OperationConfig, ApiConfig>(config.apis, method, originalUrl.pathname);
      let api: ApiConfig;
      let operation: OperationConfig | undefined;
      let parameters: Record<string, string> = {};
      let remainder: string;
      if (r.kind === "matched") {
        ({ api, operation, parameters, remainder } = r);
      } else if (r.kind === "no-operation" && method === "OPTIONS" && r.pathMatches.length > 0 && req.headers["access-control-request-method"]) {
        // CORS preflight for an existing resource: APIM runs the API-scope policies (where cors sits).
        ({ api, remainder } = r);
      } else {
        writeResponse(res, notFound(), () => undefined);
        return;
      }
      const body = await readBody(req, maxBody);
      if (body === "too-large") {
        res.writeHead(413, { "Content-Type": "application/json", Connection: "close" });
        res.end(JSON.stringify({ statusCode: 413, message: `Request body is larger than ${maxBody} bytes` }));
        return;
      }
      let backendUrl: URL | undefined;
      if (api.serviceUrl) {
        backendUrl = new URL(api.serviceUrl);
        backendUrl.pathname = (backendUrl.pathname.replace(/\/$/, "") + remainder).replace(/\/{2,}/g, "/");
        backendUrl.search = originalUrl.search;
      }
      const abort = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) abort.abort();
      });
      const state: ExecState = {
        requestId: randomUUID(),
        api,
        operation,
        originalUrl,
        ipAddress: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
        matchedParameters: parameters,
        receivedAt: new Date().toISOString(),
        request: { method, url: backendUrl, headers: HeaderBag.from(Object.entries(req.headersDistinct)), body: body.length ? body : null },
        response: { status: 200, reason: "OK", headers: new HeaderBag(), body: null },
        responseReady: false,
        variables: new Map(),
        lastError: null,
        section: "inbound",
        signal: abort.signal,
      };
      const started = Date.now();
      const response = await interpreter.execute(state);
      applyCors(response, state.cors);
      // Path only: query strings carry codes and state.
      logger.debug(`${method} ${originalUrl.pathname} -> ${response.status} (${api.name}/${operation?.operationId ?? "*"}, ${Date.now() - started} ms)`);
      writeResponse(res, response, (e) => logger.warn(`backend stream failed: ${e.message}`));
    })().catch((e: unknown) => {
      logger.warn(`gateway failure: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ statusCode: 500, message: "Internal server error" }));
      else res.destroy();
    });
  };
}

/** Compiles the policies and starts the gateway on 127.0.0.1. */
export async function startGateway(config: GatewayConfig, options: GatewayServerOptions): Promise<RunningGateway> {
  const interpreter = await PolicyInterpreter.create(config, options);
  const host = options.host ?? "127.0.0.1";
  const server = options.listener ?? http.createServer();
  server.on("request", createGatewayHandler(interpreter, config, options));
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  }
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    interpreter,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
