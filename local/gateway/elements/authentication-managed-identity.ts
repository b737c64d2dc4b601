/** authentication-managed-identity: a token for `resource` from the managed-identity endpoint, as the request's bearer or into a variable. */
import { PolicyLoadError, PolicyRuntimeError } from "../errors.js";
import { stringValue } from "../expressions.js";
import type { RequestMessage } from "../messages.js";
import { attr, noChildren, optionalLiteral, where } from "../pipeline.js";
import { defineElement } from "./registry.js";

export const authenticationManagedIdentity = defineElement({
  name: "authentication-managed-identity",
  compile(el, target, _cx, compiler) {
    noChildren(el);
    if (target === "response" || target === "return-response") throw new PolicyLoadError(`${where(el)}: authentication-managed-identity applies to requests only`);
    const resource = attr(el, "resource")!;
    const clientId = attr(el, "client-id");
    const outVar = optionalLiteral(el, "output-token-variable-name");
    const ignoreError = (optionalLiteral(el, "ignore-error") ?? "false") === "true";
    return async (s, t) => {
      const res = await compiler.evalText(resource, s, el);
      const cid = clientId ? await compiler.evalText(clientId, s, el) : undefined;
      let token: string;
      try {
        token = await compiler.managedIdentityToken(res, cid);
      } catch (e) {
        if (ignoreError) return;
        throw new PolicyRuntimeError("authentication-managed-identity", "TokenAcquisitionFailure", `${where(el)}: ${(e as Error).message}`);
      }
      if (outVar !== undefined) s.variables.set(outVar, stringValue(token));
      else (t as RequestMessage).headers.set("Authorization", [`Bearer ${token}`]);
    };
  },
});
