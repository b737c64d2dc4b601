/**
 * `get_forecast(city, days)`: a simulated forecast of 1 to 7 days from today (UTC). Each day is the simulated weather
 * of that city on that date (see get-weather.ts), so the forecast is deterministic per city and date, and its first
 * day is what `get_weather` says today. Needs the delegated scope `forecast.read` (see ../tool-scopes.ts).
 */
import * as z from "zod";
import { defineTool } from "./tool.js";
import { cityArgument, CONDITIONS, dayWeatherFields, simulateWeather } from "./get-weather.js";

export const FORECAST_DAYS = { min: 1, max: 7 } as const;
const DAY_MS = 86_400_000;

export interface ForecastDay {
  date: string;
  condition: (typeof CONDITIONS)[number];
  temperature: number;
  humidity: number;
}

export interface Forecast {
  city: string;
  unit: "celsius";
  days: ForecastDay[];
}

/** The simulated forecast of `city` for `days` days starting on the UTC day of `from`. Pure. */
export function simulateForecast(city: string, days: number, from: Date): Forecast {
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  return {
    city: city.trim(),
    unit: "celsius",
    days: Array.from({ length: days }, (_, i) => {
      const { date, condition, temperature, humidity } = simulateWeather(city, new Date(start + i * DAY_MS));
      return { date, condition, temperature, humidity };
    }),
  };
}

export const getForecast = defineTool({
  name: "get_forecast",
  title: "Forecast of a city",
  description: `Get the (simulated) weather forecast for a city for ${FORECAST_DAYS.min} to ${FORECAST_DAYS.max} days from today (UTC): condition, temperature in °C and relative humidity in % per day. Needs the forecast.read permission.`,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true, destructiveHint: false },
  inputSchema: z.object({
    city: cityArgument,
    days: z
      .number()
      .int("days must be a whole number")
      .min(FORECAST_DAYS.min, `days must be at least ${FORECAST_DAYS.min}`)
      .max(FORECAST_DAYS.max, `days must be at most ${FORECAST_DAYS.max}`)
      .describe(`Number of days, ${FORECAST_DAYS.min} to ${FORECAST_DAYS.max}, starting today`),
  }),
  outputSchema: z.object({
    city: z.string(),
    unit: z.literal("celsius"),
    days: z
      .array(
        z.object({
          date: z.string().describe("UTC date (YYYY-MM-DD)"),
          ...dayWeatherFields,
        }),
      )
      .min(FORECAST_DAYS.min)
      .max(FORECAST_DAYS.max),
  }),
  run: ({ city, days }) => ({ structured: simulateForecast(city, days, new Date()) }),
  text: (f) => `${f.city}, ${f.days.length}-day forecast: ${f.days.map((d) => `${d.date} ${d.condition} ${d.temperature} °C ${d.humidity} %`).join("; ")}`,
});
