/**
 * Helpers for the browser end-to-end test of the consent page: Debian's headless Chromium driven by
 * playwright-core (no browser download), a loopback redirect URI served by a tiny local HTTP server
 * (what a native MCP client such as VS Code listens on), and a page on another local origin that
 * tries to frame a URL.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { startBackend } from "./local-gateway.js";

/** Debian's chromium package installs its launcher here. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Headless, no sandbox (root in CI), and none of Chromium's own background traffic: without the
 * networking flags it keeps trying Google services, which on a closed network means a stream of
 * refused connections.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface HeadlessChromium {
  /** The browser's one (persistent) context: its cookie jar is the user's. */
  readonly context: BrowserContext;
  /** The fresh profile folder, removed by close(). */
  readonly userDataDir: string;
  close(): Promise<void>;
}

/**
 * Launches `executablePath` headless with a fresh user-data-dir. Fails with a message naming the
 * path and the package to install when the executable is missing (the test must not skip).
 */
export async function launchChromium(executablePath = CHROMIUM_PATH, options: { timeoutMs?: number } = {}): Promise<HeadlessChromium> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: the browser consent test needs Debian's "chromium" package (listed in .ci/apt-packages; install it with apt-get install chromium)`,
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), "consent-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: options.timeoutMs ?? 20_000,
      viewport: { width: 900, height: 700 },
    });
    return {
      context,
      userDataDir,
      close: async () => {
        await context.close().catch(() => undefined);
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`Chromium at ${executablePath} did not start: ${(e as Error).message.split("\n")[0]}`);
  }
}

export interface LocalSite {
  /** Origin, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request path with query, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function serve(handler: (url: URL, res: http.ServerResponse) => void): Promise<LocalSite> {
  const backend = await startBackend((req, _body, res) => handler(new URL(req.url ?? "/", "http://127.0.0.1"), res));
  return {
    url: backend.url,
    get requests() {
      return backend.requests.map((r) => r.url);
    },
    close: () => backend.close(),
  };
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

/**
 * The MCP client's loopback redirect URI (`<origin>/callback`, RFC 8252): answers a small
 * "signed in" page and records every hit (the code arrives in the query).
 */
export async function startLoopbackRedirect(): Promise<LocalSite & { readonly redirectUri: string; callbacks(): URL[] }> {
  const site = await serve((url, res) => {
    if (url.pathname !== "/callback") return void res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(page("MCP client", "<h1>Sign-in finished</h1><p>You can close this window.</p>"));
  });
  return Object.assign(site, {
    redirectUri: `${site.url}/callback`,
    callbacks: () => site.requests.filter((r) => r.startsWith("/callback")).map((r) => new URL(r, site.url)),
  });
}

/**
 * A page on its own local origin, `/frame`, holding one iframe per `?src=` parameter (ids
 * `frame-0`, `frame-1`, ...): how an attacker's site would try to frame the consent page.
 */
export async function startFramingSite(): Promise<LocalSite & { framingUrl(...targets: string[]): string }> {
  const site = await serve((url, res) => {
    if (url.pathname !== "/frame") return void res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    const frames = url.searchParams
      .getAll("src")
      .map((src, i) => `<iframe id="frame-${i}" width="600" height="300" src="${src.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"></iframe>`)
      .join("");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page("Framing site", `<h1>Another site</h1>${frames}`));
  });
  return Object.assign(site, {
    framingUrl: (...targets: string[]) => {
      const u = new URL("/frame", site.url);
      for (const t of targets) u.searchParams.append("src", t);
      return u.toString();
    },
  });
}
