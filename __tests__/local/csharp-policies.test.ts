/**
 * Every policy expression in policies/ compiles with Mono's C# compiler and passes APIM's allow-list,
 * all of them in one compiler run, after named values are substituted into the XML as APIM does.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { substituteNamedValues } from "../../apim-policy/named-values.js";
import { parsePolicyXml } from "../../apim-policy/parse.js";
import { ExpressionHost } from "../../local/csharp/expression-host.js";

const root = join(import.meta.dirname, "..", "..", "policies");

function policyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? policyFiles(join(dir, e.name)) : e.name.endsWith(".xml") ? [join(dir, e.name)] : [],
  );
}

/** A stand-in value per named value: quote-free, valid in a C# string literal and as a number. */
const substitute = (xml: string): string => substituteNamedValues(xml, () => "1");

let host: ExpressionHost;
beforeAll(async () => {
  host = await ExpressionHost.start({ cacheCompiledExpressions: false });
});
afterAll(async () => {
  await host?.close();
});

it("compiles every expression of policies/ in one batch on Mono, within APIM's allow-list", async () => {
  const expressions = new Set<string>();
  for (const file of policyFiles(root)) {
    const parsed = parsePolicyXml(substitute(readFileSync(file, "utf8")));
    if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
    for (const e of parsed.expressions) expressions.add(e.source);
  }
  expect(expressions.size).toBeGreaterThan(0);
  const before = host.stats.compilerRuns;
  const started = performance.now();
  await host.compile([...expressions]);
  console.log(`compiled ${expressions.size} distinct policy expressions in one mcs run: ${Math.round(performance.now() - started)} ms`);
  expect(host.stats.compilerRuns - before).toBe(1);
  expect(host.stats.compiledExpressions).toBe(expressions.size);
}, 120_000);
