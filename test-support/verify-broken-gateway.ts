/**
 * Deliberately broken "gateways" on 127.0.0.1 for the post-deploy check's tests, and a runner for
 * the `npm run verify` CLI as a child process.
 *
 * - "errors": every request answers 500 with an HTML page.
 * - "wrong": answers like the Azure lab this project replaces: a 401 without resource_metadata or
 *   CORS, metadata naming the wrong resource and authorization server, `plain` PKCE and a client
 *   secret method advertised, no revocation endpoint, unvalidated registration (200, one static
 *   client_id), /authorize redirecting with a code whatever it gets, /token failing with 500s,
 *   preflights allowing only GET and Content-Type. Only /revoke behaves (RFC 7009).
 * - "hang": accepts connections and never answers (timeouts).
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

export type BrokenMode = "errors" | "wrong" | "hang";

export interface BrokenGateway {
  readonly url: string;
  /** Requests seen, as "METHOD /path". */
  readonly requests: string[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function wrong(base: string, req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
  const url = new URL(req.url ?? "/", base);
  const route = `${req.method} ${url.pathname}`;
  if (req.method === "OPTIONS") {
    res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET", "Access-Control-Allow-Headers": "Content-Type" });
    return void res.end();
  }
  switch (route) {
    case "POST /mcp":
      return json(res, 401, { error: "unauthorized" }, { "WWW-Authenticate": 'Bearer realm="mcp"' });
    case "GET /.well-known/oauth-protected-resource/mcp":
      return json(res, 200, { resource: "https://other.example/mcp", authorization_servers: ["https://login.microsoftonline.com/common/v2.0"] });
    case "GET /.well-known/oauth-authorization-server":
      return json(res, 200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        registration_endpoint: `${base}/register`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["plain", "S256"],
        token_endpoint_auth_methods_supported: ["client_secret_post"],
      });
    case "GET /.well-known/openid-configuration":
      res.writeHead(500, { "Content-Type": "text/html" });
      return void res.end("<h1>Internal Server Error</h1>");
    case "POST /register":
      try {
        JSON.parse(body);
      } catch {
        res.writeHead(500, { "Content-Type": "text/plain" });
        return void res.end("Unexpected token");
      }
      return json(res, 200, { client_id: "static-client" });
    case "GET /authorize": {
      const redirect = url.searchParams.get("redirect_uri") ?? "http://127.0.0.1/";
      res.writeHead(302, { Location: `${redirect}?code=same-code-every-time&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}` });
      return void res.end();
    }
    case "POST /revoke":
      if (new URLSearchParams(body).get("token")) return void res.writeHead(200).end();
      return json(res, 400, { error: "invalid_request" });
    default:
      res.writeHead(500, { "Content-Type": "text/plain" });
      return void res.end("Internal Server Error");
  }
}

/** Starts a broken gateway on a free loopback port. */
export async function startBrokenGateway(mode: BrokenMode): Promise<BrokenGateway> {
  const requests: string[] = [];
  let base = "";
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(`${req.method} ${new URL(req.url ?? "/", base).pathname}`);
      if (mode === "hang") return;
      if (mode === "errors") {
        res.writeHead(500, { "Content-Type": "text/html" });
        return void res.end("<html><body><h1>500 Internal Server Error</h1></body></html>");
      }
      wrong(base, req, Buffer.concat(chunks).toString("utf8"), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens (a port taken and released again). */
export async function unusedLoopbackUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs `npm run --silent verify -- <args>` in the repository (asynchronously, so a gateway running
 * in the test process keeps answering).
 */
export function runVerifyCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "verify", "--", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
