/**
 * `npm run start:mcp`: runs the BUILT server as App Service does (`node server.mjs`, auth on, settings from the
 * environment), rebuilding the bundle first when any mcp-app source or the lockfile is newer than it.
 */
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildMcpApp } from "./build.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const bundle = path.join(repoRoot, "dist/mcp-app/site/server.mjs");

async function newestSourceMtime(): Promise<number> {
  let newest = (await stat(path.join(repoRoot, "package-lock.json"))).mtimeMs;
  for (const entry of await readdir(here, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

async function bundleIsFresh(): Promise<boolean> {
  try {
    return (await stat(bundle)).mtimeMs >= (await newestSourceMtime());
  } catch {
    return false;
  }
}

if (!(await bundleIsFresh())) {
  const built = await buildMcpApp();
  process.stderr.write(`built ${path.relative(process.cwd(), built.zipFile)} (${(built.zipBytes / 1024).toFixed(1)} KiB)\n`);
}
const child = spawn(process.execPath, [bundle], { stdio: "inherit", cwd: path.dirname(bundle), env: process.env });
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
