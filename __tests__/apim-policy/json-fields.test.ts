import { describe, expect, it } from "vitest";
import { fieldAccesses } from "../../apim-policy/json-fields.js";

describe("fieldAccesses", () => {
  it("finds fields read on a record parsed from a variable, chained or through a local", () => {
    expect(fieldAccesses(`@((string)(JObject.Parse((string)context.Variables["g"]))["cid"])`)).toEqual([{ variable: "g", field: "cid", write: false }]);
    expect(fieldAccesses(`@{ var g = JObject.Parse((string)context.Variables["g"]); return (string)g["eat"] + (long)g["eexp"]; }`)).toEqual([
      { variable: "g", field: "eat", write: false },
      { variable: "g", field: "eexp", write: false },
    ]);
  });

  it("counts fields named while building a value as writes, also on a clone of a record", () => {
    expect(fieldAccesses(`@(JsonConvert.SerializeObject(new JObject(new JProperty("cid", "c"), new JProperty("ru", "r"))))`)).toEqual([
      { field: "cid", write: true },
      { field: "ru", write: true },
    ]);
    expect(fieldAccesses(`@{ var r = (JObject)(JObject.Parse((string)context.Variables["base"])).DeepClone(); r["ath"] = "h"; return r.ToString(); }`)).toEqual([{ field: "ath", write: true }]);
  });

  it("ignores indexers that are not on a parsed record: arrays, context.Variables, unrelated locals", () => {
    expect(fieldAccesses(`@{ var parts = JArray.Parse("[]"); var x = new JObject(); return (string)parts[1] + (string)context.Variables["v"] + (string)x["f"]; }`)).toEqual([]);
  });
});
