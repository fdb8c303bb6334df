// docs/policy-pack.md shows the pack as it is: its coverage tables are generated from the provider's type
// definitions and policies/coverage.ts (test/policies/policy-doc.ts).
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { DOC, GENERATED, documented } from "./policy-doc";

const doc = fs.readFileSync(DOC, "utf8");

describe("docs/policy-pack.md", () => {
  it.each(Object.keys(GENERATED))("holds the %s table as generated (regenerate: npx tsx test/policies/policy-doc.ts)", (name) => {
    expect(documented(doc, name), `no <!-- generated:${name} --> block`).toBeDefined();
    expect(documented(doc, name)).toBe(GENERATED[name]!());
  });

  it("points to the rule reference", () => {
    expect(doc).toContain("](reference/policies.md)");
  });

  it("never links to the project's internal notes: a user who clones the repository has only the repository", () => {
    expect(doc).not.toMatch(/\.\.\/shared|\/work\//);
  });
});
