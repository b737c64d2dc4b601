/**
 * The policy fragment `oauth-client-policy`: a client policy (vocabulary/oauth-clients.ts: the
 * `clients` block of the platform configuration file, checked there) written into the variables
 * of policies/fragments/oauth-client-policy.xml, which holds the defaults. The policies read them
 * at /register, /authorize (client-id, client-resolve, consent page), in the authorization server
 * metadata and at /token (oauth-client-allowed), so a client the administrator removed can neither
 * sign in nor refresh.
 */
import { CLIENT_POLICY_FRAGMENT } from "../vocabulary/oauth-api.js";
import { staticClientAuthMethod, type McpClientPolicy } from "../vocabulary/oauth-clients.js";

/**
 * A C# string literal holding `text`, safe in an XML attribute and from named-value substitution:
 * quotes and backslashes escaped, `<`, `>`, `&`, `'`, non-ASCII and a brace followed by the same
 * brace (so no `{{` or `}}` remains) written as \uXXXX.
 */
export function csharpString(text: string): string {
  let out = '"';
  let i = 0;
  for (const ch of text) {
    for (let k = 0; k < ch.length; k++) {
      const c = ch.charCodeAt(k);
      const s = ch[k]!;
      if (s === '"' || s === "\\") out += `\\${s}`;
      else if ((s === "{" || s === "}") && text[i + k + 1] !== s) out += s;
      else if (c >= 0x20 && c < 0x7f && !"{}<>&'".includes(s)) out += s;
      else out += `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
    }
    i += ch.length;
  }
  return `${out}"`;
}

/** The values the fragment's variables get for `policy`, as C# expressions. */
export function clientPolicyValues(policy: McpClientPolicy): Record<string, string> {
  const allow = policy.metadataDocuments?.allow;
  const statics: Record<string, { n: string; r: readonly string[]; a: string; m?: string }> = {};
  for (const c of policy.static ?? []) {
    // m: a confidential client's token endpoint authentication method (the policies read "none" when absent).
    const method = staticClientAuthMethod(c);
    statics[c.client_id] = { n: c.client_name, r: [...new Set(c.redirect_uris)], a: c.application_type ?? "native", ...(method !== "none" ? { m: method } : {}) };
  }
  return {
    "clients-registration": `@(${policy.registration ?? true})`,
    "clients-documents-allow": `@(${csharpString(JSON.stringify(allow ?? ["https://*"]))})`,
    "clients-documents-reviewed": `@(${allow !== undefined})`,
    "clients-static": `@(${csharpString(JSON.stringify(statics))})`,
  };
}

/** API Management's size limit of a policy fragment, in bytes (the static rule size-limits enforces it too). */
const FRAGMENT_LIMIT_BYTES = 32_000;

/**
 * The fragment's XML for `policy`: the template (policies/fragments/oauth-client-policy.xml) with
 * the value of each of its set-variable elements replaced.
 * @throws Error when the template lacks one of the variables (a broken template), or when the
 *   policy is too large for one policy fragment.
 */
export function clientPolicyFragmentXml(template: string, policy: McpClientPolicy): string {
  let xml = template;
  for (const [name, value] of Object.entries(clientPolicyValues(policy))) {
    const element = new RegExp(`<set-variable name="${name}" value="[^\\n]*" />`, "g");
    const found = xml.match(element)?.length ?? 0;
    if (found !== 1) throw new Error(`${CLIENT_POLICY_FRAGMENT} template: expected one <set-variable name="${name}" value="..." /> on one line, found ${found}`);
    xml = xml.replace(element, () => `<set-variable name="${name}" value="${value}" />`);
  }
  const size = Buffer.byteLength(xml, "utf8");
  if (size > FRAGMENT_LIMIT_BYTES) {
    throw new Error(`clients: the client policy would take ${size} bytes in the policy fragment ${CLIENT_POLICY_FRAGMENT}, more than API Management's ${FRAGMENT_LIMIT_BYTES}; list fewer static clients or redirect URIs, or fewer metadataDocuments.allow entries (a prefix ending in * covers many documents)`);
  }
  return xml;
}
