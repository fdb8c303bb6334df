// docs/policy-pack.md shows the pack as it is: its rule table and its coverage table are generated from the
// rules' metadata, the configs and the provider's type definitions (test/policies/policy-doc.ts).
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { DOC, GENERATED, documented } from "./policy-doc";

const doc = fs.readFileSync(DOC, "utf8");

describe("docs/policy-pack.md", () => {
  it.each(Object.keys(GENERATED))("holds the %s table as generated (regenerate: npx tsx test/policies/policy-doc.ts)", (name) => {
    expect(documented(doc, name), `no <!-- generated:${name} --> block`).toBeDefined();
    expect(documented(doc, name)).toBe(GENERATED[name]!());
  });

  it("lists every rule, with its dev / prod enforcement", () => {
    for (const p of policies) expect(doc, p.name).toContain(`| \`${p.name}\`: `);
  });

  it("never links to the project's internal notes: a user who clones the repository has only the repository", () => {
    expect(doc).not.toMatch(/\.\.\/shared|\/work\//);
  });
});
