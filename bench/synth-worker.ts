/**
 * One synth, run in a fresh process by bench/synth.ts: `full` synthesizes the whole stack as
 * `npm run synth` does (the MCP bundle is reused when its inputs are unchanged, as in a repeated
 * `npm run synth`; bench/synth.ts's warm-up run builds it); `ten` does the same with a platform
 * configuration of 10 MCP servers (the sample and 9 `url` backends, each with its own Entra
 * application, API, metadata and named values: `TEN_SERVERS`); `one` synthesizes a stack with a single
 * resource group, importing the provider the same way (deep path, CommonJS loader, as
 * constructs/providers.ts does). Prints one JSON line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The 10-server platform configuration: the sample and nine servers elsewhere, one with an extra scope. */
const TEN_SERVERS = {
  servers: [
    { name: "weather", path: "mcp", title: "Weather", backend: { kind: "sample" } },
    ...Array.from({ length: 9 }, (_, i) => ({
      name: `team${i + 1}`,
      path: `team${i + 1}/mcp`,
      title: `Team ${i + 1}`,
      backend: { kind: "url", url: `https://team${i + 1}.contoso.com/mcp` },
      ...(i === 0 ? { scopes: ["tickets.write"], tools: [{ name: "create_ticket", scope: "tickets.write" }] } : {}),
    })),
  ],
};

/** The 50-server platform configuration of issue 21: 50 url backends, 5 scopes and 20 tools each. */
const FIFTY_SERVERS = {
  servers: Array.from({ length: 50 }, (_, i) => {
    const scopes = Array.from({ length: 5 }, (_, k) => `team${i + 1}.scope${k}`);
    return {
      name: `team${i + 1}`,
      path: `team${i + 1}/mcp`,
      title: `Team ${i + 1}`,
      backend: { kind: "url", url: `https://team${i + 1}.contoso.com/mcp` },
      scopes,
      tools: Array.from({ length: 20 }, (_, t) => ({ name: `tool_${t}`, scope: scopes[t % 5] })),
    };
  }),
};

const kind = process.argv[2];
const outdir = join(mkdtempSync(join(tmpdir(), `bench-synth-${kind}-`)), "cdktf.out");
const started = performance.now();
if (kind === "full" || kind === "ten" || kind === "fifty") {
  const env: Record<string, string> = {};
  if (kind !== "full") {
    env.MCP_PLATFORM_CONFIG = join(outdir, "..", "platform.json");
    writeFileSync(env.MCP_PLATFORM_CONFIG, JSON.stringify(kind === "ten" ? TEN_SERVERS : FIFTY_SERVERS));
  }
  const { synthesize } = await import("../main.js");
  await synthesize({ env, outdir, buildDir: process.env.BENCH_BUILD_DIR ?? join(outdir, "..", "build") });
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
  throw new Error(`bench/synth-worker.ts: unknown kind ${JSON.stringify(kind)}; expected "full", "ten", "fifty" or "one"`);
}
const synthMs = performance.now() - started;
console.log(JSON.stringify({ kind, synthMs, maxRssKb: process.resourceUsage().maxRSS }));
