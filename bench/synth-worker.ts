/**
 * One synth, run in a fresh process by bench/synth.ts: `full` synthesizes the whole stack as
 * `npm run synth` does (the MCP bundle is reused when its inputs are unchanged, as in a repeated
 * `npm run synth`; bench/synth.ts's warm-up run builds it); `one` synthesizes a stack with a single
 * resource group, importing the provider the same way (deep path, CommonJS loader, as
 * constructs/providers.ts does). Prints one JSON line.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const kind = process.argv[2];
const outdir = join(mkdtempSync(join(tmpdir(), `bench-synth-${kind}-`)), "cdktf.out");
const started = performance.now();
if (kind === "full") {
  const { synthesize } = await import("../main.js");
  await synthesize({ env: {}, outdir, buildDir: process.env.BENCH_BUILD_DIR ?? join(outdir, "..", "build") });
} else if (kind === "one") {
  // Imported as constructs/providers.ts imports them: by deep path, through the CommonJS loader.
  const { createRequire } = await import("node:module");
  const load = createRequire(import.meta.url);
  const { App, TerraformStack } = await import("cdktf");
  const { AzurermProvider } = load("@cdktf/provider-azurerm/lib/provider") as typeof import("@cdktf/provider-azurerm/lib/provider");
  const { ResourceGroup } = load("@cdktf/provider-azurerm/lib/resource-group") as typeof import("@cdktf/provider-azurerm/lib/resource-group");
  process.setSourceMapsEnabled(false); // as synthesize() in main.ts does
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "one");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new ResourceGroup(stack, "rg", { name: "bench-rg", location: "westeurope" });
  app.synth();
} else {
  throw new Error(`bench/synth-worker.ts: unknown kind ${JSON.stringify(kind)}; expected "full" or "one"`);
}
const synthMs = performance.now() - started;
console.log(JSON.stringify({ kind, synthMs, maxRssKb: process.resourceUsage().maxRSS }));
