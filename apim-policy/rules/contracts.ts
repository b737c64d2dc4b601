import { observedContract, parseContract, type ContractKeyword } from "../contracts.js";
import { setPipelines } from "../effective.js";
import { referencedNames } from "../named-values.js";
import { SECTIONS } from "../sections.js";
import { variableUses, type VariableUse } from "../variables.js";
import { documentOf, place, violation, wellFormedDocuments, type PolicyRule, type PolicyViolation } from "./rule.js";

const VARIABLE_FLOW = "variable-flow";
const FRAGMENT_CONTRACTS = "fragment-contracts";

/**
 * Context variables flow from where they are set to where they are read. In every pipeline (an
 * operation's global + API + operation policies, `<base/>` and fragments inlined, in order): a
 * variable read unguarded before anything in the pipeline sets it fails (KeyNotFoundException at
 * run time); a variable checked (ContainsKey, GetValueOrDefault) that no policy sets anywhere is a
 * misspelt name or a dead check; a variable set that no policy reads is dead.
 */
export const variableFlow: PolicyRule = {
  id: VARIABLE_FLOW,
  description: "Every variable an operation's pipeline reads is set earlier in it; every variable set is read somewhere.",
  check(set) {
    const doc = documentOf(set);
    const out: PolicyViolation[] = [];
    const early = new Map<string, { use: VariableUse; pipelines: string[] }>();
    for (const { name, pipeline } of setPipelines(set)) {
      const assigned = new Set<string>();
      for (const section of SECTIONS) {
        for (const { element } of pipeline.sections[section]) {
          for (const use of variableUses(element)) {
            if (use.kind === "set") assigned.add(use.name);
            else if (use.kind === "read" && !assigned.has(use.name)) {
              const key = `${use.name}\u0000${use.element.source}\u0000${use.element.line}`;
              const entry = early.get(key) ?? { use, pipelines: [] };
              if (!entry.pipelines.includes(name)) entry.pipelines.push(name);
              early.set(key, entry);
            }
          }
        }
      }
    }
    for (const { use, pipelines } of early.values()) {
      const which = pipelines.length === 1 ? `the pipeline of ${pipelines[0]}` : `the pipelines of ${pipelines.join(", ")}`;
      out.push(violation(VARIABLE_FLOW, doc(use.element), `variable "${use.name}" is read at ${place(use.element)} before anything in ${which} sets it; set it earlier or guard the read with ContainsKey`));
    }
    const uses = wellFormedDocuments(set).flatMap(({ root }) => variableUses(root));
    const setNames = new Set(uses.filter((u) => u.kind === "set").map((u) => u.name));
    const readNames = new Set(uses.filter((u) => u.kind !== "set").map((u) => u.name));
    const reported = new Set<string>();
    for (const use of uses) {
      const key = `${use.kind === "set" ? "s" : "r"}\u0000${use.name}\u0000${use.element.source}\u0000${use.element.line}`;
      if (reported.has(key)) continue;
      if (use.kind === "guarded-read" && !setNames.has(use.name)) {
        reported.add(key);
        out.push(violation(VARIABLE_FLOW, doc(use.element), `variable "${use.name}" is checked at ${place(use.element)} but no policy sets it; a misspelt name, or a check that can go`));
      } else if (use.kind === "set" && !readNames.has(use.name)) {
        reported.add(key);
        out.push(violation(VARIABLE_FLOW, doc(use.element), `variable "${use.name}" is set at ${place(use.element)} but no policy reads it; remove it`));
      }
    }
    return out;
  },
};

/**
 * Each fragment's header says what it reads, sets and may answer (apim-policy/contracts.ts), and
 * says it truly: every variable it reads or sets and every named value it uses is listed, nothing
 * listed is unused (a context path listed is read), and the status codes of its return-response
 * policies are its Answers.
 */
export const fragmentContracts: PolicyRule = {
  id: FRAGMENT_CONTRACTS,
  description: "Each fragment's header lists what it reads (Reads:), sets (Sets:) and may answer (Answers:), as its policies do.",
  check(set) {
    const out: PolicyViolation[] = [];
    for (const { doc, root } of wellFormedDocuments(set)) {
      if (doc.scope !== "fragment" || root.name !== "fragment") continue;
      const say = (message: string) => out.push(violation(FRAGMENT_CONTRACTS, doc.name, `${doc.file}: ${message}`));
      const contract = parseContract(doc.xml);
      const observed = observedContract(root);
      const missing = (["Reads", "Sets", "Answers"] as ContractKeyword[]).filter((k) => !contract.lines[k]);
      for (const k of missing) say(`the header has no "${k}:" line; declare what the fragment ${k === "Answers" ? "may answer" : k.toLowerCase()} ("${k}: ${k === "Answers" ? "nothing" : "none"}" when empty)`);
      const compare = (keyword: "Reads" | "Sets", declared: readonly string[] | undefined, actual: readonly string[]) => {
        if (!declared) return;
        for (const name of actual) if (!declared.includes(name)) say(`${keyword === "Reads" ? "reads" : "sets"} variable "${name}", which the header's ${keyword}: line does not list`);
        for (const name of declared) if (!actual.includes(name)) say(`the header's ${keyword}: line lists "${name}", which the fragment does not ${keyword === "Reads" ? "read" : "set"}`);
      };
      compare("Reads", contract.reads, observed.reads);
      const body = doc.xml.replace(/<!--[\s\S]*?-->/g, "");
      if (contract.namedValues) {
        const used = referencedNames(body).map((n) => n.trim());
        for (const name of used) if (!contract.namedValues.includes(name)) say(`uses named value {{${name}}}, which the header's Reads: line does not list`);
        for (const name of contract.namedValues) if (!used.includes(name)) say(`the header's Reads: line lists {{${name}}}, which the fragment does not use`);
      }
      for (const path of contract.contextReads ?? []) if (!body.includes(path)) say(`the header's Reads: line lists ${path}, which the fragment does not read`);
      compare("Sets", contract.sets, observed.sets);
      const answers = contract.answers;
      if (!answers) continue;
      if (observed.answersAtAll && answers.length === 0) say(`the header says "Answers: nothing" but the fragment has a return-response`);
      else if (!observed.answersAtAll && answers.length > 0) say(`the header's Answers: line lists ${answers.join(", ")} but the fragment has no return-response`);
      else if (!observed.computedAnswer) {
        for (const code of observed.answers) if (!answers.includes(code)) say(`answers ${code}, which the header's Answers: line does not list`);
        for (const code of answers) if (!observed.answers.includes(code)) say(`the header's Answers: line lists ${code}, which no return-response of the fragment sets`);
      }
    }
    return out;
  },
};
