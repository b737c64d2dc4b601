/**
 * `get_weather(city)`: simulated current weather for a city (parity with the lab's Python server: condition,
 * temperature -10..35 °C, humidity 20..100 %). Values are pseudo-random but deterministic per city and UTC day,
 * so repeated calls agree and tests can check them.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { defineTool } from "./tool.js";

export const CONDITIONS = ["Sunny", "Cloudy", "Rainy", "Snowy", "Windy"] as const;
export const TEMPERATURE_RANGE_C = { min: -10, max: 35 } as const;
export const HUMIDITY_RANGE_PERCENT = { min: 20, max: 100 } as const;

/** The `city` argument of the weather tools. */
export const cityArgument = z
  .string()
  .trim()
  .min(1, "city must not be empty")
  .max(100, "city must be at most 100 characters")
  .describe("City name, e.g. Lisbon (see get_cities)");

/** The fields of one day's simulated weather in the weather tools' output schemas. */
export const dayWeatherFields = {
  condition: z.enum(CONDITIONS),
  temperature: z.number().min(TEMPERATURE_RANGE_C.min).max(TEMPERATURE_RANGE_C.max).describe("Degrees Celsius"),
  humidity: z.number().min(HUMIDITY_RANGE_PERCENT.min).max(HUMIDITY_RANGE_PERCENT.max).describe("Relative humidity, percent"),
};

export interface Weather {
  city: string;
  condition: (typeof CONDITIONS)[number];
  temperature: number;
  humidity: number;
  unit: "celsius";
  date: string;
}

/** The simulated weather of `city` on the UTC day of `at`. Pure: same city (any case) and day, same result. */
export function simulateWeather(city: string, at: Date): Weather {
  const date = at.toISOString().slice(0, 10);
  const digest = createHash("sha256").update(`${city.trim().toLowerCase()}\n${date}`).digest();
  const unit = (offset: number) => digest.readUInt32BE(offset) / 0x1_0000_0000; // [0, 1)
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    city: city.trim(),
    condition: CONDITIONS[digest[0]! % CONDITIONS.length]!,
    temperature: round2(TEMPERATURE_RANGE_C.min + unit(4) * (TEMPERATURE_RANGE_C.max - TEMPERATURE_RANGE_C.min)),
    humidity: round2(HUMIDITY_RANGE_PERCENT.min + unit(8) * (HUMIDITY_RANGE_PERCENT.max - HUMIDITY_RANGE_PERCENT.min)),
    unit: "celsius",
    date,
  };
}

export const getWeather = defineTool({
  name: "get_weather",
  title: "Weather of a city",
  description: "Get the current (simulated) weather for a city: condition, temperature in °C and relative humidity in %.",
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true, destructiveHint: false },
  inputSchema: z.object({ city: cityArgument }),
  outputSchema: z.object({
    city: z.string(),
    ...dayWeatherFields,
    unit: z.literal("celsius"),
    date: z.string().describe("UTC date the simulation is for (YYYY-MM-DD)"),
  }),
  run: ({ city }) => ({ structured: simulateWeather(city, new Date()) }),
  text: (w) => `${w.city}: ${w.condition}, ${w.temperature} °C, humidity ${w.humidity} %`,
});
