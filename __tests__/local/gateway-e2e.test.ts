import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { startLocalStack, type LocalStack } from "../../local/run.js";
import { browserAuthorize, MemoryOAuthProvider, synthesizeForLocal } from "../../test-support/local-oauth-client.js";

const REDIRECT = "http://127.0.0.1:33418/callback";
let stack: LocalStack;

beforeAll(async () => {
  const tf = await synthesizeForLocal();
  stack = await startLocalStack({ tf, logLevel: process.env.E2E_LOG === "1" ? "debug" : "silent" });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

async function signIn(provider: MemoryOAuthProvider): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { authProvider: provider });
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.lastAuthorizationUrl).toBeDefined();
  const { finalUrl } = await browserAuthorize(provider.lastAuthorizationUrl!, REDIRECT);
  expect(finalUrl.searchParams.get("error")).toBeNull();
  expect(finalUrl.searchParams.get("iss")).toBe(stack.gateway.url);
  await transport.finishAuth(finalUrl.searchParams.get("code")!);
}

async function connected(provider: MemoryOAuthProvider): Promise<Client> {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpEndpoint), { authProvider: provider }));
  return client;
}

describe("local stack end to end (real MCP SDK client, real policies, Mono C# expressions)", () => {
  it("discovers, registers, consents, exchanges the code and calls tools as the test user", async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    await signIn(provider);
    expect(provider.savedTokens?.access_token).toBeTruthy();
    const client = await connected(provider);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["get_cities", "get_weather", "whoami"]));
    const who = await client.callTool({ name: "whoami", arguments: {} });
    expect(JSON.stringify(who.content)).toContain(stack.entra.user.name);
    await client.close();
  });
});
