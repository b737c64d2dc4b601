/**
 * Helpers for local gateway tests: an in-memory GatewayConfig built from policy XML (written with
 * policy-fixtures.ts's policiesXml / fragmentXml, the one policy-XML builder of the tests), a
 * gateway started on 127.0.0.1 with the literal-only fake evaluator, and a small echo backend.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiConfig, GatewayConfig, NamedValue, OperationConfig } from "../local/gateway/config.js";
import type { ExpressionEvaluator } from "../local/gateway/expressions.js";
import { startGateway, type RunningGateway } from "../local/gateway/server.js";
import { FakeLiteralEvaluator } from "./local-fake-expressions.js";

export interface TestApi {
  name?: string;
  path?: string;
  serviceUrl?: string;
  policy?: string;
  operations?: { id?: string; method?: string; urlTemplate?: string; policy?: string }[];
}

export function testConfig(opts: {
  global?: string;
  apis: TestApi[];
  fragments?: Record<string, string>;
  namedValues?: Record<string, string>;
  backends?: Record<string, string>;
}): GatewayConfig {
  const apis: ApiConfig[] = opts.apis.map((a, i) => {
    const name = a.name ?? `api${i}`;
    const operations: OperationConfig[] = (a.operations ?? [{}]).map((o, j) => ({
      resourceId: `op.${name}.${j}`,
      operationId: o.id ?? `op${j}`,
      displayName: o.id ?? `op${j}`,
      method: o.method ?? "GET",
      urlTemplate: o.urlTemplate ?? "/",
      templateParameters: [],
      policyXml: o.policy,
    }));
    return { resourceId: `api.${name}`, name, path: a.path ?? "", displayName: name, serviceUrl: a.serviceUrl, policyXml: a.policy, operations, subscriptionRequired: false };
  });
  return {
    serviceName: "apim-test",
    globalPolicyXml: opts.global,
    apis,
    fragments: new Map(Object.entries(opts.fragments ?? {})),
    namedValues: new Map(Object.entries(opts.namedValues ?? {}).map(([name, value]): [string, NamedValue] => [name, { name, value, secret: false }])),
    backends: new Map(Object.entries(opts.backends ?? {}).map(([name, url]) => [name, { name, url }])),
    urlRewrites: {},
  };
}

export async function startTestGateway(
  config: GatewayConfig,
  extra: { evaluator?: ExpressionEvaluator; managedIdentityTokenUrl?: string } = {},
): Promise<RunningGateway & { evaluator: ExpressionEvaluator }> {
  const evaluator = extra.evaluator ?? new FakeLiteralEvaluator();
  const gw = await startGateway(config, { evaluator, managedIdentityTokenUrl: extra.managedIdentityTokenUrl, logger: { debug: () => undefined, warn: () => undefined } });
  return Object.assign(gw, { evaluator });
}

export interface EchoRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A backend on 127.0.0.1 answering every request with JSON describing it, or with what
 * `handler` writes.
 */
export async function startBackend(handler?: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void): Promise<{ url: string; requests: EchoRequest[]; close(): Promise<void> }> {
  const requests: EchoRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(r);
      if (handler) return handler(req, body, res);
      res.writeHead(200, { "Content-Type": "application/json", "X-Backend": "echo" });
      res.end(JSON.stringify(r));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
