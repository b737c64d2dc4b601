/** `get_cities(country)`: the cities the weather tool knows for a country (parity with the lab's Python server). */
import * as z from "zod";
import { defineTool } from "./tool.js";

/** Cities per country, keyed by lower-case country name. */
export const CITIES_BY_COUNTRY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  usa: ["New York", "Los Angeles", "Chicago", "Houston", "Phoenix"],
  canada: ["Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa"],
  uk: ["London", "Manchester", "Birmingham", "Leeds", "Glasgow"],
  australia: ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
  india: ["Mumbai", "Delhi", "Bangalore", "Hyderabad", "Chennai"],
  portugal: ["Lisbon", "Porto", "Braga", "Faro", "Coimbra"],
  france: ["Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes"],
});

export const COUNTRIES: readonly string[] = Object.freeze(Object.keys(CITIES_BY_COUNTRY));

export const getCities = defineTool({
  name: "get_cities",
  title: "Cities of a country",
  description: `List the cities for which weather is available in a country. Known countries: ${COUNTRIES.join(", ")} (case-insensitive).`,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true, destructiveHint: false },
  inputSchema: z.object({
    country: z.string().min(1).max(64).describe(`Country name, one of: ${COUNTRIES.join(", ")} (case-insensitive)`),
  }),
  outputSchema: z.object({
    country: z.string().describe("The country, lower-case"),
    cities: z.array(z.string()).describe("Cities in that country"),
  }),
  run: ({ country }) => {
    const key = country.trim().toLowerCase();
    const cities = Object.hasOwn(CITIES_BY_COUNTRY, key) ? CITIES_BY_COUNTRY[key] : undefined;
    if (cities === undefined) {
      return { error: `Unknown country ${JSON.stringify(country)}: expected one of ${COUNTRIES.join(", ")}.` };
    }
    return { structured: { country: key, cities: [...cities] } };
  },
  text: ({ country, cities }) => `Cities in ${country}: ${cities.join(", ")}`,
});
