/**
 * A problem at a key path of a configuration (`clients.static[0].client_id`): where it is, and what
 * is wrong with the value and what is expected. The configuration file's loader and the constructs
 * print them the same way. Imports nothing.
 */

/** What is wrong at one key path. */
export interface KeyPathProblem {
  /** Keys and indexes from the top of the configuration, e.g. `["clients", "static", 0, "client_id"]`. */
  readonly path: readonly (string | number)[];
  /** What is wrong (naming the value) and what is expected. */
  readonly message: string;
}

/** A key path as text: `clients.static[0].client_id`; `(top level)` for the empty path. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(top level)" : path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

/** A problem as one line, `<key path>: <message>`. */
export function formatKeyPathProblem(problem: KeyPathProblem): string {
  return `${keyPath(problem.path)}: ${problem.message}`;
}
