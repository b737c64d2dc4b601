/**
 * Node entry point (what App Service runs as `node server.mjs`): reads the environment, listens on HOST:PORT,
 * and shuts down gracefully on SIGTERM/SIGINT (stops accepting, lets in-flight requests finish, then exits;
 * forced exit after a grace period).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { ConfigError, isLoopbackHost, loadConfig, type McpAppConfig } from "./config.js";
import { createLogger, type Logger } from "./logging.js";
import { createApp, type CreateAppOptions } from "./server.js";

/** Longest wait for in-flight requests on shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server for `config`; resolves once it listens. */
export function startServer(
  config: McpAppConfig,
  logger: Logger = createLogger(config.logLevel),
  appOptions: Omit<CreateAppOptions, "logger"> = {},
): Promise<RunningServer> {
  if (config.auth === undefined && !isLoopbackHost(config.host)) {
    // loadConfig already refuses this; a hand-built config must not bypass it.
    return Promise.reject(new Error(`Refusing to serve without authentication on ${JSON.stringify(config.host)}: only loopback hosts may run with MCP_AUTH=off`));
  }
  const app = createApp(config, { ...appOptions, logger });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    const server: ServerType = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
      server.off("error", onError);
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      const url = `http://${host}:${info.port}`;
      logger.info("MCP server listening", { url: `${url}/mcp`, auth: config.auth ? "entra" : "off", responseMode: config.responseMode });
      resolve({
        url,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
            // Stop accepting; keep-alive connections are closed as soon as their in-flight request is answered.
            const sweep = setInterval(() => http.closeIdleConnections?.(), 50);
            const force = setTimeout(() => {
              logger.warn("shutdown grace period over, closing remaining connections");
              http.closeAllConnections?.();
            }, SHUTDOWN_GRACE_MS);
            sweep.unref();
            force.unref();
            server.close(() => {
              clearInterval(sweep);
              clearTimeout(force);
              // Every request has been answered: release the MCP handler (it aborts nothing still useful).
              void app.mcpHandler.close().then(done, done);
            });
            http.closeIdleConnections?.();
          }),
      });
    });
    server.once("error", onError);
  });
}

async function main(): Promise<void> {
  let config: McpAppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // A stray rejection must not take the server down with it; a thrown exception leaves unknown state: exit and
  // let App Service restart the process.
  process.on("unhandledRejection", (reason) => logger.error("unhandled rejection", { error: reason instanceof Error ? reason.name : typeof reason }));
  process.on("uncaughtException", (error) => {
    logger.error("uncaught exception, exiting", { error: error.name });
    process.exit(1);
  });
  const running = await startServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    void running.close().then(() => {
      logger.info("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** Run only as the entry point (the bundle, or `tsx mcp-app/main.ts`), not when imported by tests or scripts. */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    process.stderr.write(`MCP server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
