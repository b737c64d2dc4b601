/**
 * Bundles the MCP server for App Service: esbuild turns mcp-app/main.ts and its dependencies into ONE file
 * `server.mjs` (Node 22, ESM, minified), next to a tiny package.json, and zips both deterministically (sorted
 * entries, fixed timestamps): the same source gives a byte-identical zip, so its hash only changes with the code.
 *
 * Library: `await buildMcpApp()` (used by the App Service construct at synth). CLI: `tsx mcp-app/build.ts [outDir]`.
 * App Service runs it with the startup command `node server.mjs`.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Zippable } from "fflate";

export interface BuildMcpAppOptions {
  /** Output folder (relative paths resolve against the repository root). @default "dist/mcp-app" */
  readonly outDir?: string;
  /**
   * Return the existing bundle when its recorded inputs (every file under mcp-app/ and the lockfile) are unchanged,
   * instead of running esbuild again. Deterministic builds make the reused zip identical to a fresh one.
   * @default false
   */
  readonly reuseUnchanged?: boolean;
}

export interface McpAppBundle {
  /** Folder holding the unzipped site (`server.mjs`, `package.json`). */
  readonly siteDir: string;
  /** The zip to deploy. */
  readonly zipFile: string;
  readonly zipBytes: number;
  /** Hex SHA-256 of the zip. */
  readonly sha256: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
/** Fixed local-time timestamp for every zip entry (zip stores local DOS time), so zips do not depend on when they were built. */
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

const SITE_PACKAGE_JSON = `${JSON.stringify(
  {
    name: "secure-remote-mcp-server",
    private: true,
    type: "module",
    description: "Bundled MCP server (built by mcp-app/build.ts); App Service startup command: node server.mjs",
    main: "server.mjs",
    engines: { node: ">=22" },
    scripts: { start: "node server.mjs" },
  },
  null,
  2,
)}\n`;

/**
 * Builds `server.mjs`, `package.json` and the deterministic `mcp-app.zip` under `outDir`. Safe to run from several
 * processes at once (tests and synth in parallel): each build is staged in its own folder and moved into place; the
 * zip is replaced atomically, and as builds are deterministic any finished one is as good as another.
 */
export async function buildMcpApp(options: BuildMcpAppOptions = {}): Promise<McpAppBundle> {
  const outDir = path.resolve(repoRoot, options.outDir ?? "dist/mcp-app");
  const siteDir = path.join(outDir, "site");
  const zipFile = path.join(outDir, "mcp-app.zip");
  const inputsFile = path.join(outDir, "inputs.sha256");
  const inputs = await inputsHash();
  if (options.reuseUnchanged ?? false) {
    const reused = await existingBundle(zipFile, siteDir, inputsFile, inputs);
    if (reused) return reused;
  }
  await mkdir(outDir, { recursive: true });
  const staging = await mkdtemp(path.join(outDir, ".staging-"));
  try {
    const stagedSite = path.join(staging, "site");
    await mkdir(stagedSite);
    // Loaded only when a build runs: a synth that reuses the bundle never needs them.
    const [{ build }, { zipSync }] = await Promise.all([import("esbuild"), import("fflate")]);
    const result = await build({
      absWorkingDir: repoRoot,
      entryPoints: [path.join(here, "main.ts")],
      outfile: path.join(stagedSite, "server.mjs"),
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      minify: true,
      sourcemap: false,
      legalComments: "none",
      logLevel: "silent",
      // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
      banner: { js: 'import { createRequire as __mcpCreateRequire } from "node:module"; const require = __mcpCreateRequire(import.meta.url);' },
    });
    if (result.errors.length > 0) {
      throw new Error(`Bundling mcp-app/main.ts failed: ${result.errors.map((e) => e.text).join("; ")}`);
    }
    await writeFile(path.join(stagedSite, "package.json"), SITE_PACKAGE_JSON);

    const entries: Zippable = {};
    for (const name of ["package.json", "server.mjs"].sort()) {
      entries[name] = [new Uint8Array(await readFile(path.join(stagedSite, name))), { mtime: FIXED_MTIME, level: 9 }];
    }
    const zip = zipSync(entries, { mtime: FIXED_MTIME, level: 9 });
    const stagedZip = path.join(staging, "mcp-app.zip");
    await writeFile(stagedZip, zip);

    await rename(stagedZip, zipFile); // atomic replace
    const stagedInputs = path.join(staging, "inputs.sha256");
    await writeFile(stagedInputs, `${inputs}\n`);
    await rename(stagedInputs, inputsFile);
    // Only atomic renames touch the shared folder: move the old site into our staging folder, then ours into place.
    const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? "";
    try {
      await rename(siteDir, path.join(staging, "previous-site"));
    } catch (error) {
      if (code(error) !== "ENOENT") throw error; // no previous site (or a concurrent build just moved it)
    }
    try {
      await rename(stagedSite, siteDir);
    } catch (error) {
      // A concurrent build put its (identical) site in place first.
      if (!["ENOTEMPTY", "EEXIST", "EPERM"].includes(code(error))) throw error;
    }
    return { siteDir, zipFile, zipBytes: zip.byteLength, sha256: createHash("sha256").update(zip).digest("hex") };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Folders the bundle is built from: the server's own, and the shared rules it imports (vocabulary/: who may call
 * which tool). A test checks that mcp-app/ imports nothing else of the repository.
 */
export const BUNDLE_SOURCE_DIRS: readonly string[] = ["mcp-app", "vocabulary"];

/** SHA-256 over every file under the bundle's source folders (path and content, sorted) and package-lock.json: what the bundle is made of. */
async function inputsHash(): Promise<string> {
  const entries = (await Promise.all(BUNDLE_SOURCE_DIRS.map((dir) => readdir(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })))).flat();
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(repoRoot, path.join(entry.parentPath, entry.name)))
    .concat("package-lock.json")
    .sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file}\0`).update(await readFile(path.join(repoRoot, file))).update("\0");
  return hash.digest("hex");
}

/** The bundle already in `outDir` when it was built from exactly these inputs. */
async function existingBundle(zipFile: string, siteDir: string, inputsFile: string, inputs: string): Promise<McpAppBundle | undefined> {
  try {
    if ((await readFile(inputsFile, "utf8")).trim() !== inputs) return undefined;
    await stat(path.join(siteDir, "server.mjs"));
    const zip = await readFile(zipFile);
    return { siteDir, zipFile, zipBytes: zip.byteLength, sha256: createHash("sha256").update(zip).digest("hex") };
  } catch {
    return undefined;
  }
}

if (/(?:^|[\\/])build\.ts$/.test(process.argv[1] ?? "")) {
  buildMcpApp({ outDir: process.argv[2] })
    .then((b) => {
      process.stdout.write(
        `${path.relative(process.cwd(), b.zipFile)}: ${b.zipBytes} bytes (${(b.zipBytes / 1024).toFixed(1)} KiB zipped), sha256 ${b.sha256}\n` +
          `site: ${path.relative(process.cwd(), b.siteDir)} (startup command: node server.mjs)\n`,
      );
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
