import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync } from "fflate";
import { BUNDLE_SOURCE_DIRS, buildMcpApp, type McpAppBundle } from "../../mcp-app/build.js";
import { connectClient } from "../../test-support/mcp-client.js";
import { startEntraStandIn } from "../../local/entra/stand-in.js";

let workDir: string;
let bundle: McpAppBundle;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "mcp-app-build-"));
  bundle = await buildMcpApp({ outDir: path.join(workDir, "a") });
});
afterAll(async () => rm(workDir, { recursive: true, force: true }));

/** Starts the bundled server; resolves with its base URL once it logs that it listens. */
function startBundled(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ["server.mjs"], { cwd: bundle.siteDir, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

describe("buildMcpApp", () => {
  it("bundles one server.mjs with a package.json into a zip under 1.5 MB", async () => {
    expect(path.basename(bundle.zipFile)).toBe("mcp-app.zip");
    expect(bundle.zipBytes).toBeGreaterThan(10_000);
    expect(bundle.zipBytes).toBeLessThan(1.5 * 1024 * 1024);
    const zip = await readFile(bundle.zipFile);
    expect(zip.byteLength).toBe(bundle.zipBytes);
    const entries = unzipSync(new Uint8Array(zip));
    expect(Object.keys(entries)).toEqual(["package.json", "server.mjs"]);
    const pkg = JSON.parse(new TextDecoder().decode(entries["package.json"]));
    expect(pkg).toMatchObject({ type: "module", main: "server.mjs", scripts: { start: "node server.mjs" } });
    expect(pkg.dependencies).toBeUndefined();
    const server = new TextDecoder().decode(entries["server.mjs"]);
    expect(server).not.toMatch(/from\s*"(hono|jose|zod|@modelcontextprotocol\/(sdk|server|core))/);
  });

  it("is deterministic: a second build gives a byte-identical zip", async () => {
    const again = await buildMcpApp({ outDir: path.join(workDir, "b") });
    expect(again.sha256).toBe(bundle.sha256);
    expect(Buffer.compare(await readFile(again.zipFile), await readFile(bundle.zipFile))).toBe(0);
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reuses an unchanged bundle when asked, and rebuilds when its recorded inputs differ", async () => {
    const outDir = path.join(workDir, "reuse");
    const first = await buildMcpApp({ outDir });
    // Dated an hour back, so a rewrite shows in the modification time whatever the file system's resolution and however fast the machine.
    const past = new Date(Date.now() - 3_600_000);
    await utimes(first.zipFile, past, past);
    const builtAt = (await stat(first.zipFile)).mtimeMs;
    const reused = await buildMcpApp({ outDir, reuseUnchanged: true });
    expect(reused).toEqual(first);
    expect((await stat(reused.zipFile)).mtimeMs).toBe(builtAt); // not written again: esbuild did not run

    await writeFile(path.join(outDir, "inputs.sha256"), "0".repeat(64)); // as if a source file had changed
    const rebuilt = await buildMcpApp({ outDir, reuseUnchanged: true });
    expect(rebuilt.sha256).toBe(first.sha256);
    expect((await stat(rebuilt.zipFile)).mtimeMs).toBeGreaterThan(builtAt);
    expect((await readFile(path.join(outDir, "inputs.sha256"), "utf8")).trim()).toMatch(/^[0-9a-f]{64}$/);

    await rm(path.join(outDir, "inputs.sha256"));
    const withoutRecord = await buildMcpApp({ outDir, reuseUnchanged: true });
    expect(withoutRecord.sha256).toBe(first.sha256);
  });

  it("counts every repository folder the server imports among the inputs it reuses a bundle by", async () => {
    const root = path.resolve(import.meta.dirname, "..", "..");
    const sources = (await readdir(path.join(root, "mcp-app"), { recursive: true })).filter((f) => f.endsWith(".ts")).map((f) => path.join("mcp-app", f));
    const folders = new Set<string>();
    for (const file of sources) {
      const text = await readFile(path.join(root, file), "utf8");
      for (const [, specifier] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.[^"']+)["']/gm)) {
        folders.add(path.relative(root, path.resolve(root, path.dirname(file), specifier!)).split(path.sep)[0]!);
      }
    }
    expect(folders).toContain("vocabulary"); // the scan sees the shared rules the server imports
    expect([...folders].filter((f) => !BUNDLE_SOURCE_DIRS.includes(f))).toEqual([]);
  });

  it("the bundled server starts, answers /healthz and MCP calls, and stops cleanly on SIGTERM", async () => {
    const { child, url } = await startBundled({ MCP_AUTH: "off", PORT: "0" });
    try {
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const client = await connectClient(`${url}/mcp`);
      expect((await client.callTool({ name: "get_cities", arguments: { country: "UK" } })).structuredContent).toMatchObject({ country: "uk" });
      await client.close();
    } finally {
      const exited = exitOf(child);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("the bundled server checks Entra tokens when auth is on", async () => {
    const entra = await startEntraStandIn();
    const { child, url } = await startBundled({ ...entra.env, PORT: "0", HOST: "127.0.0.1" });
    try {
      expect((await fetch(`${url}/mcp`, { method: "POST" })).status).toBe(401);
      const client = await connectClient(`${url}/mcp`, { token: await entra.mint() });
      expect((await client.callTool({ name: "whoami", arguments: {} })).structuredContent).toMatchObject({ authenticated: true, tenant: entra.tenantId });
      await client.close();
    } finally {
      const exited = exitOf(child);
      child.kill("SIGTERM");
      await exited;
      await entra.close();
    }
  });

  it("fails to start with auth on and no Entra settings, naming the missing variables (exit 2)", async () => {
    const child = spawn(process.execPath, ["server.mjs"], { cwd: bundle.siteDir, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(2);
    expect(stderr).toContain("ENTRA_TENANT_ID is required");
    expect(stderr).toContain("ENTRA_CLIENT_ID is required");
  });

  it("fails to start in local mode on a public interface", async () => {
    const child = spawn(process.execPath, ["server.mjs"], { cwd: bundle.siteDir, env: { PATH: process.env.PATH ?? "", MCP_AUTH: "off", HOST: "0.0.0.0" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(2);
    expect(stderr).toContain('MCP_AUTH=off is refused with HOST="0.0.0.0"');
  });
});

describe("buildMcpApp concurrency", () => {
  it("several builds into the same folder at once all succeed with the same zip", async () => {
    const outDir = path.join(workDir, "shared");
    const results = await Promise.all([1, 2, 3].map(() => buildMcpApp({ outDir })));
    expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([bundle.sha256]));
    expect(createHash("sha256").update(await readFile(path.join(outDir, "mcp-app.zip"))).digest("hex")).toBe(bundle.sha256);
    expect((await readdir(outDir)).sort()).toEqual(["inputs.sha256", "mcp-app.zip", "site"]);
  });
});
