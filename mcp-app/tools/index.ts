/**
 * Every tool this server offers. Adding a tool: one new file in this folder, one line here, and its access rule in
 * ../tool-scopes.ts (the catalog refuses a tool without one).
 */
import { getCities } from "./get-cities.js";
import { getForecast } from "./get-forecast.js";
import { getWeather } from "./get-weather.js";
import { whoami } from "./whoami.js";
import type { ToolDefinition } from "./tool.js";

export const tools: readonly ToolDefinition[] = [getCities, getWeather, getForecast, whoami];
