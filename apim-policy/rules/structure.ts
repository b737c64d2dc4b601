import { childElements, ownText, walkElements } from "../parse.js";
import { SECTIONS } from "../sections.js";
import { at, violation, wellFormedDocuments, type PolicyRule } from "./rule.js";

const SECTION_SET: ReadonlySet<string> = new Set(SECTIONS);

/**
 * Global, API and operation policies: root `<policies>` holding exactly the four sections
 * `inbound`, `backend`, `outbound`, `on-error`, each once, in that order, and nothing else.
 */
export const policyStructure: PolicyRule = {
  id: "policy-structure",
  description: "Non-fragment policies have a <policies> root with inbound, backend, outbound, on-error, once each, in order.",
  check(set) {
    const out = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      if (doc.scope === "fragment") continue;
      if (root.name !== "policies") {
        out.push(violation(this.id, doc.name, `root element is <${root.name}>, expected <policies> (${doc.scope} policy ${doc.file})`));
        continue;
      }
      const found = childElements(root);
      for (const el of found) {
        if (!SECTION_SET.has(el.name)) {
          out.push(violation(this.id, doc.name, `<${el.name}> at ${at(el)} is not a policy section; <policies> holds only ${SECTIONS.join(", ")}`));
        }
      }
      const names = found.map((e) => e.name).filter((n) => SECTION_SET.has(n));
      for (const section of SECTIONS) {
        const count = names.filter((n) => n === section).length;
        if (count === 0) out.push(violation(this.id, doc.name, `section <${section}> is missing; expected ${SECTIONS.join(", ")} in that order`));
        if (count > 1) out.push(violation(this.id, doc.name, `section <${section}> appears ${count} times; each section appears once`));
      }
      const unique = [...new Set(names)];
      const expected = SECTIONS.filter((s) => unique.includes(s));
      if (unique.join(",") !== expected.join(",")) {
        out.push(violation(this.id, doc.name, `sections are in the order ${unique.join(", ")}; expected ${SECTIONS.join(", ")}`));
      }
      const stray = ownText(root).trim();
      if (stray) out.push(violation(this.id, doc.name, `text "${stray.slice(0, 40)}" directly inside <policies>; only sections belong there`));
    }
    return out;
  },
};

/**
 * Fragments: root `<fragment>`, no policy sections, no `<base/>`, and no `<include-fragment>`
 * (API Management: "a policy fragment can't nest another policy fragment").
 */
export const fragmentStructure: PolicyRule = {
  id: "fragment-structure",
  description: "Fragments have a <fragment> root and contain no sections, no <base/> and no nested include-fragment.",
  check(set) {
    const out = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      if (doc.scope !== "fragment") continue;
      if (root.name !== "fragment") {
        out.push(violation(this.id, doc.name, `root element is <${root.name}>, expected <fragment> (fragment ${doc.file})`));
        continue;
      }
      for (const { element } of walkElements(root)) {
        if (element === root) continue;
        if (SECTION_SET.has(element.name) || element.name === "policies") {
          out.push(violation(this.id, doc.name, `fragment contains section <${element.name}> at ${at(element)}; fragments hold policies only, no sections`));
        } else if (element.name === "base") {
          out.push(violation(this.id, doc.name, `fragment contains <base/> at ${at(element)}; <base/> is not allowed in fragments`));
        } else if (element.name === "include-fragment") {
          out.push(violation(this.id, doc.name, `fragment includes fragment "${element.attributes["fragment-id"] ?? ""}" at ${at(element)}; fragments cannot nest other fragments`));
        }
      }
    }
    return out;
  },
};
