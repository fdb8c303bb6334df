// The generated parts of docs/policy-pack.md: the coverage tables, from the installed provider's type
// definitions and policies/coverage.ts (the rule table is docs/reference/policies.md, `npm run docs`).
// test/policies/policy-doc.test.ts keeps the document equal to them; after changing the coverage or
// upgrading the provider, regenerate with:  npx tsx test/policies/policy-doc.ts
import * as fs from "fs";
import * as path from "path";
import { COVERAGE } from "../../policies/coverage";
import { ROOT } from "../harness/stack-files";
import { providerInputFields } from "./provider-types";

export const DOC = path.join(ROOT, "docs", "policy-pack.md");

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function coverageTable(kind: "Container" | "Service"): string {
  const rows = providerInputFields()
    .filter((f) => f.path.startsWith(`${kind}.`))
    .map((f) => {
      const c = COVERAGE[f.path];
      const rules = c?.rules.map((r) => `\`${r}\``).join(", ") || "—";
      return `| \`${f.path.slice(kind.length + 1)}\` | ${c ? (c.relevant ? "**yes**" : "no") : "UNCLASSIFIED"} | ${cell(c?.reason ?? "")} | ${rules} |`;
    });
  return ["| input | security-relevant | why | judged by |", "|---|---|---|---|", ...rows].join("\n");
}

export const GENERATED: Record<string, () => string> = {
  "coverage-container": () => coverageTable("Container"),
  "coverage-service": () => coverageTable("Service"),
};

const block = (name: string) => new RegExp(`(<!-- generated:${name} -->\\n)([\\s\\S]*?)(<!-- /generated:${name} -->)`);

// The document's block, or undefined when it has none.
export function documented(doc: string, name: string): string | undefined {
  const m = block(name).exec(doc);
  return m ? m[2]!.replace(/\n$/, "") : undefined;
}

export function regenerate(doc: string): string {
  let out = doc;
  for (const [name, make] of Object.entries(GENERATED)) out = out.replace(block(name), (_, open: string, _old: string, close: string) => `${open}${make()}\n${close}`);
  return out;
}

if (require.main === module) {
  fs.writeFileSync(DOC, regenerate(fs.readFileSync(DOC, "utf8")));
  console.log(`regenerated ${path.relative(ROOT, DOC)}`);
}
