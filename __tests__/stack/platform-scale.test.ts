/**
 * Issue 21 item 1: 50 MCP servers with 20 tools and 5 scopes each synthesize within every API
 * Management limit (fragment <= 32,000 bytes, policy <= 256 KiB, named value <= 4,096 characters),
 * and a configuration beyond the platform's limits fails at synth, naming what to shorten.
 * Synthesizes the large configuration once for the file.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import type { Construct } from "constructs";
import { loadConfig } from "../../config/config.js";
import { loadPlatformConfig } from "../../config/platform.js";
import { McpPlatformStack } from "../../stack/mcp-platform-stack.js";
import { fixturePackage, resourcesOf, synthJson, type SynthJson } from "../../test-support/synth.js";
import { APIM_LIMITS, PLATFORM_LIMITS } from "../../vocabulary/limits.js";

/** A server with the given number of scopes (long names) and tools each needing one of them. */
function server(i: number, scopes: number, tools: number) {
  const scopeNames = Array.from({ length: scopes }, (_, k) => `team${i}.permission-number-${k}.readwrite`.slice(0, 40));
  return {
    name: `team${i}`,
    path: `team${i}/mcp`,
    title: `Team ${i}`,
    backend: { kind: "url", url: `https://team${i}.contoso.com/mcp` },
    scopes: scopeNames,
    tools: Array.from({ length: tools }, (_, t) => ({ name: `team${i}_tool_number_${t}_${"x".repeat(60)}`, scope: scopeNames[t % scopes] })),
  };
}

/** The platform stack for a platform file, loaded as `npm run synth` loads it. */
function platformStack(file: string): McpPlatformStack {
  const config = loadConfig({ MCP_PLATFORM_CONFIG: file });
  const platform = loadPlatformConfig(file, { baseScope: config.scopeName });
  return new McpPlatformStack(Testing.app() as Construct, "mcp", { config, platform, mcpPackageFile: fixturePackage() });
}

function platformFile(config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "platform-scale-")), "platform.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe("a platform of 50 servers, 20 tools and 5 scopes each", () => {
  let json: SynthJson;
  beforeAll(() => {
    const file = platformFile({ servers: Array.from({ length: 50 }, (_, i) => server(i + 1, 5, 20)) });
    json = synthJson(platformStack(file));
  }, 120_000);

  it("synthesizes every server's API", () => {
    const apis = resourcesOf(json, "azurerm_api_management_api").map((a) => a.path as string);
    for (let i = 1; i <= 50; i++) expect(apis).toContain(`team${i}/mcp`);
  });

  it("keeps every fragment within 32,000 bytes, oauth-servers included", () => {
    const fragments = resourcesOf(json, "azurerm_api_management_policy_fragment");
    expect(fragments.map((f) => f.name)).toContain("oauth-servers");
    const over = fragments.filter((f) => Buffer.byteLength(f.value as string) > APIM_LIMITS.fragmentBytes).map((f) => f.name);
    expect(over).toEqual([]);
    const servers = fragments.find((f) => f.name === "oauth-servers")!;
    expect((servers.value as string).match(/<when /g)!.length).toBeGreaterThanOrEqual(50);
  });

  it("keeps every policy within 256 KiB", () => {
    const policies = [...resourcesOf(json, "azurerm_api_management_api_policy"), ...resourcesOf(json, "azurerm_api_management_api_operation_policy")];
    expect(policies.length).toBeGreaterThan(50);
    for (const p of policies) expect(Buffer.byteLength(p.xml_content as string)).toBeLessThanOrEqual(APIM_LIMITS.documentBytes);
  });

  it("keeps every literal named value within 4,096 characters, the tool tables included", () => {
    const values = resourcesOf(json, "azurerm_api_management_named_value");
    const tables = values.filter((v) => String(v.name).startsWith("mcp-tool-scopes-"));
    expect(tables).toHaveLength(50);
    for (const v of values) expect(String(v.value ?? "").length).toBeLessThanOrEqual(APIM_LIMITS.namedValueCharacters);
  });
});

describe("a platform beyond the limits", () => {
  it("fails 51 servers at synth, naming the limit", () => {
    const file = platformFile({ servers: Array.from({ length: PLATFORM_LIMITS.servers + 1 }, (_, i) => server(i + 1, 1, 1)) });
    expect(() => platformStack(file)).toThrow(/servers.*has 51 servers; expected 1 to 50/);
  });

  it("fails too many scopes on a server, naming the server's scopes", () => {
    const file = platformFile({ servers: [server(1, PLATFORM_LIMITS.scopesPerServer + 1, 1)] });
    expect(() => platformStack(file)).toThrow(/servers\[0\]\.scopes: has 11 scopes; expected at most 10/s);
  });

  it("fails a tool scope table longer than a named value, saying what to shorten", () => {
    const big = server(1, 5, 0);
    big.tools = Array.from({ length: 40 }, (_, t) => ({ name: `tool_${t}_${"y".repeat(120)}`, scope: big.scopes[t % 5]! }));
    const file = platformFile({ servers: [big] });
    expect(() => platformStack(file)).toThrow(/servers\[0\]\.tools: .*characters; an API Management named value holds 4096: shorten tool or scope names/s);
  });
});
