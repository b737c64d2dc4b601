/** Every tool this server offers. Adding a tool: one new file in this folder and one line here. */
import { getCities } from "./get-cities.js";
import { getWeather } from "./get-weather.js";
import { whoami } from "./whoami.js";
import type { ToolDefinition } from "./tool.js";

export const tools: readonly ToolDefinition[] = [getCities, getWeather, whoami];
