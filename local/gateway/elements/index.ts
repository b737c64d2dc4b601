/**
 * The local gateway's policy elements, one implementation per element (or small family), keyed by
 * their name in the element table (apim-policy/elements.ts). An element of the table that is not
 * here fails to load, naming where it is; __tests__/local/gateway-elements.test.ts checks that
 * every implementation names only elements, attributes and parts the table knows.
 */
import { authenticationManagedIdentity } from "./authentication-managed-identity.js";
import { cacheLookupValue, cacheRemoveValue, cacheStoreValue } from "./cache.js";
import { choose } from "./choose.js";
import { cors } from "./cors.js";
import { setBody, setMethod, setStatus } from "./message-parts.js";
import { rateLimitByKey } from "./rate-limit-by-key.js";
import type { ElementImpl } from "./registry.js";
import { returnResponse } from "./return-response.js";
import { forwardRequestElement, rewriteUriElement, setBackendService } from "./routing.js";
import { sendRequest } from "./send-request.js";
import { setHeader, setQueryParameter } from "./set-header.js";
import { setVariable } from "./set-variable.js";
import { trace } from "./trace.js";

export { applyCors } from "./cors.js";
export { checkImplemented, type ElementImpl } from "./registry.js";

/** Every implemented element, by name. */
export const ELEMENTS: ReadonlyMap<string, ElementImpl> = new Map(
  [
    setVariable,
    choose,
    returnResponse,
    setHeader,
    setQueryParameter,
    setBody,
    setStatus,
    setMethod,
    rewriteUriElement,
    setBackendService,
    forwardRequestElement,
    cacheStoreValue,
    cacheLookupValue,
    cacheRemoveValue,
    sendRequest,
    authenticationManagedIdentity,
    rateLimitByKey,
    cors,
    trace,
  ].map((e) => [e.name, e]),
);
