// The generated reference pages are committed; they must be what the code generates now.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { generatedPages } from "../../components/docs/generate";
import { platformObject } from "../../components/config/schema";
import { policies } from "../../policies/policies";
import { ROOT } from "../harness/stack-files";

const pages = generatedPages(ROOT);

describe("generated docs", () => {
  it.each(Object.keys(pages))("%s is up to date (npm run docs regenerates it)", (file) => {
    const committed = fs.readFileSync(path.join(ROOT, file), "utf8");
    expect(committed, `${file} is stale: run npm run docs and commit it`).toBe(pages[file]);
  });

  it("the configuration reference lists every top-level setting of the schema", () => {
    const text = pages["docs/reference/configuration.md"]!;
    for (const key of Object.keys(platformObject.shape)) expect(text, key).toContain(`## \`mcp-platform:${key}\``);
    expect(text).toMatch(/\| `services\.<name>\.publishedPort` \| integer 1–65535 \| required \|/);
    expect(text).toMatch(/\| `gateway\.streamTimeoutSeconds` \| integer > 0 \| `3600` \|/);
  });

  it("the rule table has one row per rule of the pack, with its enforcement in dev and prod", () => {
    const text = pages["docs/reference/policies.md"]!;
    expect(text.split("\n").filter((l) => l.startsWith("| `"))).toHaveLength(policies.length);
    expect(text).toMatch(/^\| `cpu-limit` \| resource \| Containers have a CPU limit\. \| CIS 5\.12; KICS docker-compose: CPUs Not Limited \| advisory \/ mandatory \|/m);
  });
});
