/**
 * How one MCP server's cloud resources are named: the construct ids of its Entra application, App
 * Service, `McpServer` and MCP API, its API Management names, the suffix of its named values and
 * operation ids, and its display names. One function decides for every server of a stack, so the
 * rule is written once; construct ids are a contract (renaming one replaces its cloud resource).
 *
 * Every server's names carry its name (`entra_tickets`, `mcp_api_tickets`, `mcp-path-tickets`),
 * except the sample server `weather`, which keeps the names the single-server stack gave it
 * (`entra`, `mcp_app`, `mcp_api`, `mcp-path`), so that upgrading that stack replaces nothing.
 */
import { SERVER_NAME } from "../vocabulary/mcp-names.js";

/** The names of one MCP server's resources (from `serverNaming`). */
export interface ServerNaming {
  /** The server's name. */
  readonly server: string;
  /** True for the single-server stack's names: no id or named value carries the server's name. */
  readonly singleServerNames: boolean;
  /** Construct id of its Entra application: `entra` or `entra_<server>`. */
  readonly entraId: string;
  /** Construct id of its App Service: `mcp_app` or `app_<server>`. */
  readonly appId: string;
  /** Construct id of its `McpServer` under `McpOAuth`: `server_<server>`. */
  readonly serverId: string;
  /** Construct id of its MCP API under the gateway: `mcp_api` or `mcp_api_<server>`. */
  readonly apiId: string;
  /** API Management name of its MCP API: `mcp` or `mcp-<server>`. */
  readonly apiName: string;
  /** Suffix of its named values (`mcp-path<suffix>`) and OAuth API operation ids: "" or `-<server>`. */
  readonly suffix: string;
  /** Display name of its MCP API in API Management. */
  apiDisplayName(title: string): string;
  /** Display name of its Entra application, for a stack whose names start with `prefix`. */
  entraDisplayName(prefix: string, title: string): string;
  /** The middle of its App Service's name `<prefix>-<stem>-<13-character suffix>` (at most 60 characters). */
  appServiceStem(prefix: string): string;
}

export interface ServerNamingOptions {
  /**
   * The server runs this product's sample MCP server (`mcp-app/`). The sample named `weather` keeps
   * the single-server stack's names.
   * @default false
   */
  readonly sample?: boolean;
}

/** The sample server that keeps the single-server stack's names. */
export const SINGLE_SERVER_NAME = "weather";

/** The names of the MCP server `server`'s resources. */
export function serverNaming(server: string, options: ServerNamingOptions = {}): ServerNaming {
  if (!SERVER_NAME.test(server)) {
    throw new Error(`McpServer: name ${JSON.stringify(server)} is invalid; expected a DNS label of 1-30 lowercase letters, digits and single hyphens, starting with a letter`);
  }
  const single = options.sample === true && server === SINGLE_SERVER_NAME;
  const id = server.replace(/-/g, "_");
  return {
    server,
    singleServerNames: single,
    entraId: single ? "entra" : `entra_${id}`,
    appId: single ? "mcp_app" : `app_${id}`,
    serverId: `server_${id}`,
    apiId: single ? "mcp_api" : `mcp_api_${id}`,
    apiName: single ? "mcp" : `mcp-${server}`,
    suffix: single ? "" : `-${server}`,
    apiDisplayName: (title) => (single ? "MCP server" : `MCP server ${title}`),
    entraDisplayName: (prefix, title) => (single ? `${prefix} MCP server` : `${prefix} ${title}`),
    // `<prefix>-` and `-<13 characters>` leave 60 - prefix - 15 characters for the stem.
    appServiceStem: (prefix) => (single ? "app" : server.slice(0, Math.max(1, 60 - prefix.length - 15)).replace(/-+$/, "")),
  };
}
