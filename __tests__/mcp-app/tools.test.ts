import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import { loadConfig } from "../../mcp-app/config.js";
import { silentLogger } from "../../mcp-app/logging.js";
import { createApp } from "../../mcp-app/server.js";
import { startServer, type RunningServer } from "../../mcp-app/main.js";
import { CITIES_BY_COUNTRY, COUNTRIES } from "../../mcp-app/tools/get-cities.js";
import { CONDITIONS, simulateWeather } from "../../mcp-app/tools/get-weather.js";
import { simulateForecast } from "../../mcp-app/tools/get-forecast.js";
import { compileCatalog } from "../../mcp-app/mcp-server.js";
import { tools } from "../../mcp-app/tools/index.js";
import { connectClient, type ClientEra } from "../../test-support/mcp-client.js";

const URL_IN_PROCESS = "http://127.0.0.1/mcp";

const CASES: readonly { responseMode: "sse" | "json"; era: ClientEra }[] = [
  { responseMode: "json", era: "legacy" },
  { responseMode: "sse", era: "legacy" },
  { responseMode: "json", era: "modern" },
  { responseMode: "sse", era: "modern" },
  { responseMode: "json", era: "auto" },
];

for (const { responseMode, era } of CASES) {
  describe(`MCP tools over streamable HTTP (SDK v2 client, ${era} negotiation, ${responseMode} responses, in-process, auth off)`, () => {
    const app = createApp(loadConfig({ MCP_AUTH: "off", MCP_RESPONSE_MODE: responseMode }), { logger: silentLogger });
    let client: Client;
    beforeAll(async () => {
      client = await connectClient(URL_IN_PROCESS, { app, era });
    });
    afterAll(async () => client.close());

    it("lands on the expected protocol era", () => {
      expect(client.getProtocolEra()).toBe(era === "legacy" ? "legacy" : "modern");
    });

    it("answers with the configured content type", async () => {
      const response = await app.request("/mcp", {
        method: "POST",
        headers: { host: "127.0.0.1", "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain(responseMode === "sse" ? "text/event-stream" : "application/json");
    });

    it("knows the server's info, instructions and the tools capability", () => {
      expect(client.getServerVersion()?.name).toBe("secure-remote-mcp");
      expect(client.getServerCapabilities()?.tools).toBeDefined();
      expect(client.getInstructions()).toContain("get_forecast(city, days)");
    });

    it("lists the four tools with titles, annotations and schemas", async () => {
      const { tools: listed } = await client.listTools();
      expect(listed.map((t) => t.name).sort()).toEqual(["get_cities", "get_forecast", "get_weather", "whoami"]);
      for (const tool of listed) {
        expect(tool.title).toBeTruthy();
        expect(tool.description).toBeTruthy();
        expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
        expect(tool.inputSchema.type).toBe("object");
        expect(tool.outputSchema?.type).toBe("object");
      }
      expect(listed.find((t) => t.name === "get_cities")?.inputSchema.required).toEqual(["country"]);
      expect(listed.find((t) => t.name === "get_weather")?.inputSchema.required).toEqual(["city"]);
      expect(listed.find((t) => t.name === "get_forecast")?.inputSchema).toMatchObject({
        required: ["city", "days"],
        properties: { days: { type: "integer", minimum: 1, maximum: 7 } },
      });
    });

    it("get_forecast returns 1 to 7 days from today, the first one being today's get_weather", async () => {
      const result = await client.callTool({ name: "get_forecast", arguments: { city: "Porto", days: 7 } });
      expect(result.isError).toBeFalsy();
      const forecast = result.structuredContent as { city: string; unit: string; days: { date: string; temperature: number }[] };
      expect(forecast.city).toBe("Porto");
      expect(forecast.days).toHaveLength(7);
      const today = (await client.callTool({ name: "get_weather", arguments: { city: "Porto" } })).structuredContent as { date: string; temperature: number };
      expect(forecast.days[0]).toMatchObject({ date: today.date, temperature: today.temperature });
      expect((result.content as { text: string }[])[0]!.text).toContain("7-day forecast");
    });

    it.each([
      [0, /days must be at least 1/],
      [8, /days must be at most 7/],
      [2.5, /days must be a whole number/],
      ["3", /days: /],
    ])("get_forecast with days=%j is a tool error naming the field", async (days, message) => {
      const result = await client.callTool({ name: "get_forecast", arguments: { city: "Porto", days } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toMatch(message);
    });

    it("get_cities returns the cities of each country, case-insensitively, as text and structured content", async () => {
      for (const country of COUNTRIES) {
        const result = await client.callTool({ name: "get_cities", arguments: { country: country.toUpperCase() } });
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ country, cities: [...CITIES_BY_COUNTRY[country]!] });
        expect((result.content as { text: string }[])[0]!.text).toContain(CITIES_BY_COUNTRY[country]![0]);
      }
      expect(COUNTRIES).toEqual(expect.arrayContaining(["usa", "canada", "uk", "australia", "india", "portugal"]));
    });

    it("get_cities with an unknown country is a tool error naming the value and the valid ones", async () => {
      const result = await client.callTool({ name: "get_cities", arguments: { country: "Atlantis" } });
      expect(result.isError).toBe(true);
      const text = (result.content as { text: string }[])[0]!.text;
      expect(text).toContain('"Atlantis"');
      expect(text).toContain("usa, canada, uk, australia, india, portugal");
    });

    it("get_weather returns condition, temperature in range and humidity in range", async () => {
      const result = await client.callTool({ name: "get_weather", arguments: { city: "Lisbon" } });
      expect(result.isError).toBeFalsy();
      const w = result.structuredContent as { city: string; condition: string; temperature: number; humidity: number; unit: string };
      expect(w.city).toBe("Lisbon");
      expect(CONDITIONS).toContain(w.condition);
      expect(w.temperature).toBeGreaterThanOrEqual(-10);
      expect(w.temperature).toBeLessThanOrEqual(35);
      expect(w.humidity).toBeGreaterThanOrEqual(20);
      expect(w.humidity).toBeLessThanOrEqual(100);
      expect(w.unit).toBe("celsius");
      expect((result.content as { text: string }[])[0]!.text).toContain(`${w.temperature} °C`);
    });

    it("whoami says the caller is anonymous in local mode", async () => {
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.structuredContent).toEqual({ authenticated: false, scopes: [], roles: [] });
      expect((result.content as { text: string }[])[0]!.text).toContain("MCP_AUTH=off");
    });

    it("bad arguments are a tool error that names the field", async () => {
      const result = await client.callTool({ name: "get_weather", arguments: { city: 42 } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toMatch(/Invalid arguments for tool get_weather: city: /);
    });

    it("an unknown tool is a JSON-RPC protocol error (-32602)", async () => {
      await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });
  });
}

describe("simulateWeather", () => {
  it("is deterministic per city (any case) and day, and varies between cities", () => {
    const day = new Date("2026-01-02T10:00:00Z");
    expect(simulateWeather("Porto", day)).toEqual({ ...simulateWeather(" porto ", day), city: "Porto" });
    const cities = Object.values(CITIES_BY_COUNTRY).flat();
    const temperatures = new Set(cities.map((c) => simulateWeather(c, day).temperature));
    expect(temperatures.size).toBeGreaterThan(cities.length / 2);
    for (const c of cities) {
      const w = simulateWeather(c, day);
      expect(w.temperature).toBeGreaterThanOrEqual(-10);
      expect(w.temperature).toBeLessThanOrEqual(35);
      expect(w.humidity).toBeGreaterThanOrEqual(20);
      expect(w.humidity).toBeLessThanOrEqual(100);
    }
  });
});

describe("simulateForecast", () => {
  it("is deterministic per city and date: each day is that date's simulated weather", () => {
    const from = new Date("2026-03-30T23:59:00Z");
    const forecast = simulateForecast(" Lisbon ", 3, from);
    expect(forecast.city).toBe("Lisbon");
    expect(forecast.days.map((d) => d.date)).toEqual(["2026-03-30", "2026-03-31", "2026-04-01"]);
    for (const day of forecast.days) {
      const { condition, temperature, humidity } = simulateWeather("lisbon", new Date(`${day.date}T12:00:00Z`));
      expect(day).toEqual({ date: day.date, condition, temperature, humidity });
    }
    expect(simulateForecast("LISBON", 3, new Date("2026-03-30T00:00:00Z"))).toEqual({ ...forecast, city: "LISBON" });
  });
});

describe("compileCatalog", () => {
  it("fails on a duplicate tool name", () => {
    expect(() => compileCatalog([...tools, tools[0]!])).toThrow(/"get_cities" is defined twice/);
  });

  it("fails on a tool without an access rule, naming the tool and the table", () => {
    expect(() => compileCatalog(tools, { access: [{ tool: "get_cities" }, { tool: "get_weather" }, { tool: "whoami" }] })).toThrow(
      /Tool "get_forecast" has no access rule: add \{ tool: "get_forecast" \} to the tool scope table \(mcp-app\/tool-scopes\.ts\)/,
    );
  });

  it("fails on an access rule without a tool, naming it", () => {
    expect(() => compileCatalog(tools.slice(0, 3), { access: [{ tool: "get_cities" }, { tool: "get_weather" }, { tool: "get_forecast" }, { tool: "whoami" }] })).toThrow(
      'The tool scope table names "whoami", which no tool definition has',
    );
  });
});

describe("MCP tools through a real listening server (127.0.0.1, port 0)", () => {
  let running: RunningServer;
  let client: Client;
  beforeAll(async () => {
    running = await startServer(loadConfig({ MCP_AUTH: "off", PORT: "0" }), silentLogger);
    client = await connectClient(`${running.url}/mcp`);
  });
  afterAll(async () => {
    await client.close();
    await running.close();
  });

  it("lists and calls every tool", async () => {
    expect((await client.listTools()).tools).toHaveLength(4);
    expect((await client.callTool({ name: "get_forecast", arguments: { city: "Porto", days: 2 } })).structuredContent).toMatchObject({ city: "Porto" });
    expect((await client.callTool({ name: "get_cities", arguments: { country: "Portugal" } })).structuredContent).toMatchObject({ country: "portugal" });
    expect((await client.callTool({ name: "get_weather", arguments: { city: "Porto" } })).structuredContent).toMatchObject({ city: "Porto" });
    expect((await client.callTool({ name: "whoami", arguments: {} })).structuredContent).toMatchObject({ authenticated: false });
  });

  it("serves /healthz", async () => {
    const response = await fetch(`${running.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
