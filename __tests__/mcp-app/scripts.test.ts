import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `node --import tsx <script>` with `env`; resolves on exit, or once `until` matches the output (then SIGTERM). */
function run(script: string, env: Record<string, string>, until?: RegExp) {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const matched = new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) resolve(output);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on("exit", (code) => resolve({ code, output })));
  return { child, matched, exited };
}

describe("npm run dev:mcp (mcp-app/dev.ts)", () => {
  it("serves on loopback with auth off and prints the URL and the MCP Inspector command", async () => {
    const { child, matched, exited } = run("mcp-app/dev.ts", { PORT: "0" }, /Ctrl\+C to stop/);
    const output = await matched;
    const url = /auth OFF\): (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(output)?.[1];
    expect(url).toBeDefined();
    expect(output).toContain(`npx @modelcontextprotocol/inspector --transport http --server-url ${url}`);
    expect(output).toContain(`npx @modelcontextprotocol/inspector --cli ${url} --transport http --protocol-era modern --method tools/list`);
    expect((await fetch(url!.replace(/\/mcp$/, "/healthz"))).status).toBe(200);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  it("fails on a non-loopback HOST (exit 2, names the value)", async () => {
    const { exited } = run("mcp-app/dev.ts", { HOST: "0.0.0.0", PORT: "0" });
    const { code, output } = await exited;
    expect(code).toBe(2);
    expect(output).toContain('MCP_AUTH=off is refused with HOST="0.0.0.0"');
  });
});

describe("npm run start:mcp (mcp-app/start.ts)", () => {
  it("builds if needed, runs the bundle with auth on, and fails naming the missing Entra settings", async () => {
    const { exited } = run("mcp-app/start.ts", { PORT: "0" });
    const { code, output } = await exited;
    expect(code).toBe(2);
    expect(output).toContain("ENTRA_TENANT_ID is required");
    expect(output).toContain("ENTRA_CLIENT_ID is required");
  });
});
