/**
 * Mono's tools for the expression host: checking that `mcs` and `mono` are installed, running the
 * compiler, and building the host program (host/*.cs) once into a cache folder keyed by the hash of
 * its sources, the compiler version and the Newtonsoft.Json it compiles against.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExpressionHostError, MonoNotInstalledError } from "./errors.js";

const HOST_SOURCES = fileURLToPath(new URL("./host/", import.meta.url));
const NEWTONSOFT_CANDIDATES = [
  "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll",
  "/usr/lib/mono/gac/Newtonsoft.Json/6.0.0.0__b9a188c8922137c6/Newtonsoft.Json.dll",
];
/** The framework assemblies every compilation references. */
export const FRAMEWORK_REFERENCES = ["System.dll", "System.Core.dll", "System.Xml.dll", "System.Xml.Linq.dll"];

/** The tools and the compiled host program. */
export interface HostToolchain {
  readonly mcs: string;
  readonly mono: string;
  readonly hostExe: string;
  readonly newtonsoft: string;
  readonly cacheDir: string;
  /** `mcs` runs spent building the host program (0 when it was cached). */
  readonly compilerRuns: number;
}

export function toolVersion(command: string, what: string): string {
  const result = spawnSync(command, ["--version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new MonoNotInstalledError(
      `${what} is required to evaluate policy expressions but \`${command} --version\` failed` +
        `${result.error ? ` (${result.error.message})` : ""}: apt-get install -y $(cat .ci/apt-packages)`,
    );
  }
  return result.stdout.split("\n")[0] ?? "";
}

export function runCompiler(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.on("error", (e) => reject(new MonoNotInstalledError(`cannot run ${command}: ${e.message}`)));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Checks the tools and builds (or reuses) the host program. */
export async function prepareToolchain(opts: { mcsPath?: string; monoPath?: string; newtonsoftJsonPath?: string; cacheDir?: string }): Promise<HostToolchain> {
  const mcs = opts.mcsPath ?? "mcs";
  const mono = opts.monoPath ?? "mono";
  const mcsVersion = toolVersion(mcs, "mcs (the Mono C# compiler, Debian package mono-mcs)");
  toolVersion(mono, "mono (the Mono runtime, Debian package mono-runtime)");
  const newtonsoft = opts.newtonsoftJsonPath ?? NEWTONSOFT_CANDIDATES.find((p) => existsSync(p));
  if (!newtonsoft || !existsSync(newtonsoft)) {
    throw new MonoNotInstalledError(
      `Newtonsoft.Json.dll not found (looked in ${opts.newtonsoftJsonPath ?? NEWTONSOFT_CANDIDATES.join(", ")}): ` +
        "install the Debian package libnewtonsoft-json5.0-cil (see .ci/apt-packages).",
    );
  }
  const sourceFiles = readdirSync(HOST_SOURCES)
    .filter((f) => f.endsWith(".cs"))
    .sort();
  const hash = createHash("sha256").update(mcsVersion).update(newtonsoft);
  for (const f of sourceFiles) hash.update(f).update(readFileSync(join(HOST_SOURCES, f)));
  const cacheDir = join(opts.cacheDir ?? join(tmpdir(), "apim-expression-host"), `host-${hash.digest("hex").slice(0, 16)}`);
  await mkdir(cacheDir, { recursive: true });
  const hostExe = join(cacheDir, "apim-expression-host.exe");
  let compilerRuns = 0;
  if (!existsSync(hostExe)) {
    const work = await mkdtemp(join(cacheDir, "build-"));
    try {
      const out = join(work, "apim-expression-host.exe");
      const result = await runCompiler(mcs, [
        "-noconfig",
        "-nologo",
        "-target:exe",
        "-optimize+",
        `-out:${out}`,
        ...FRAMEWORK_REFERENCES.map((r) => `-r:${r}`),
        `-r:${newtonsoft}`,
        ...sourceFiles.map((f) => join(HOST_SOURCES, f)),
      ]);
      compilerRuns++;
      if (result.code !== 0) throw new ExpressionHostError(`compiling the expression host failed:\n${result.output}`);
      await rename(out, hostExe);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return { mcs, mono, hostExe, newtonsoft, cacheDir, compilerRuns };
}
