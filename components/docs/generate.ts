// `npm run docs`: writes the generated reference pages; `npm run docs -- --check` fails when a committed
// page differs from what the code generates (the tests run the same comparison).
import * as fs from "fs";
import * as path from "path";
import { configurationReference } from "./config-reference";
import { policyTable } from "./policy-table";

export const ROOT = path.resolve(__dirname, "../..");

export function generatedPages(root: string = ROOT): Record<string, string> {
  return {
    "docs/reference/configuration.md": configurationReference(),
    "docs/reference/policies.md": policyTable(root),
  };
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [file, text] of Object.entries(generatedPages())) {
    const target = path.join(ROOT, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (current === text) continue;
    if (check) {
      console.error(`${file} is out of date: run npm run docs`);
      stale++;
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      console.log(`wrote ${file}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
