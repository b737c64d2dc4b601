/**
 * Helpers for construct tests: a deterministic fixture package for the App Service, a stack with
 * the base resources a construct needs, and typed access to synthesized Terraform JSON.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { loadConfig, type AppConfig } from "../config/config.js";
import { McpPlatformStack } from "../stack/mcp-platform-stack.js";

/** Synthesized Terraform JSON, keyed by resource type then resource name. */
export interface SynthJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  locals?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
  terraform?: Record<string, unknown>;
}

const FIXED_MTIME = new Date("2000-01-01T00:00:00Z");

/** Writes a small, byte-stable zip standing in for the MCP server bundle; returns its path. */
export function fixturePackage(content = "export {};\n"): string {
  const dir = mkdtempSync(join(tmpdir(), "mcp-pkg-"));
  const file = join(dir, "mcp-app.zip");
  const zip = zipSync({ "server.mjs": [new TextEncoder().encode(content), { mtime: FIXED_MTIME }] }, { level: 9 });
  writeFileSync(file, zip);
  return file;
}

/** Parses `Testing.synth` output. */
export function synthJson(stack: TerraformStack): SynthJson {
  return JSON.parse(Testing.synth(stack, true)) as SynthJson;
}

/** The resources of one type, as a list of their bodies. */
export function resourcesOf(json: SynthJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource[type] ?? {});
}

/** The single resource of a type; fails the test when there is not exactly one. */
export function onlyResource(json: SynthJson, type: string): Record<string, unknown> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** A stack with the three providers and a resource group, for testing one construct. */
export function baseStack(): { stack: TerraformStack; resourceGroup: ResourceGroup } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new AzureadProvider(stack, "azuread", {});
  new RandomProvider(stack, "random", {});
  const resourceGroup = new ResourceGroup(stack, "rg", { name: "test-rg", location: "westeurope" });
  return { stack, resourceGroup };
}

/** The whole platform stack for a configuration given as environment variables. */
export function platformStack(env: Record<string, string> = {}, packageFile = fixturePackage()): {
  stack: McpPlatformStack;
  config: AppConfig;
} {
  const config = loadConfig(env);
  const app = Testing.app();
  return { stack: new McpPlatformStack(app as Construct, "mcp", { config, mcpPackageFile: packageFile }), config };
}

/** Policy files for gateway tests (test-support/fixtures/policies). */
export const FIXTURE_POLICIES_DIR = join(import.meta.dirname, "fixtures", "policies");

/** Removes cdktf's 8-character hash suffixes from resource addresses, for readable assertions. */
export function unhashed<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/_[0-9A-F]{8}\b/g, "")) as T;
}

/**
 * Every `${...}` expression in the synthesized JSON whose references name a resource, data source
 * or local that the configuration does not declare. Plain `terraform` would reject such a config at
 * plan time; nothing here can run plan, so tests check it directly.
 */
export function danglingReferences(json: SynthJson): string[] {
  const declared = new Set<string>();
  for (const [type, resources] of Object.entries(json.resource)) for (const name of Object.keys(resources)) declared.add(`${type}.${name}`);
  for (const [type, sources] of Object.entries(json.data ?? {})) for (const name of Object.keys(sources)) declared.add(`data.${type}.${name}`);
  for (const name of Object.keys(json.locals ?? {})) declared.add(`local.${name}`);
  const dangling: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      for (const [, expression] of value.matchAll(/\$\{([^}]*)\}/g)) {
        const withoutStrings = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
        for (const [ref] of withoutStrings.matchAll(/\b(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*/g)) {
          const [first] = ref.split(".");
          const isAddress = first === "data" || first === "local" || /^(azurerm|azuread|random)_/.test(first);
          if (isAddress && !declared.has(ref)) dangling.push(ref);
        }
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit({ resource: json.resource, data: json.data, output: json.output, locals: json.locals });
  return dangling;
}
