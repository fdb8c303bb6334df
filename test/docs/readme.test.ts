// The README's promise (two commands: set up and deploy dev; run the tests) holds only if those are the
// commands CI and the tests use; and the docs a user clones must not point outside the repository.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../harness/stack-files";

const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

// The fenced block right after an HTML marker comment in the README.
function block(marker: string): string[] {
  const m = new RegExp(`<!-- ${marker} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no <!-- ${marker} --> sh block`);
  return m[1]!.split("\n");
}

// Pages written by other tasks that land separately; until each exists, a link to it is allowed to dangle.
const PENDING: string[] = [];

// Public upstream documentation a page may link to; anything else outside the repository is refused.
const PUBLIC_HOSTS = [
  "www.pulumi.com",
  "docs.docker.com",
  "github.com",
  "modelcontextprotocol.io",
  "nginx.org",
  "neo4j.com",
  "docs.github.com",
  "nodejs.org",
];

function markdownFiles(): string[] {
  const out = ["README.md", "bench/README.md"];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".md")) out.push(rel);
    }
  };
  walk("docs");
  return out;
}

const slug = (heading: string) =>
  heading.trim().toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N} -]/gu, "").replace(/ /g, "-");

// Every problem with a page's links: outside the repository, a private path, a missing file or anchor.
export function linkProblems(file: string, text: string, exists: (rel: string) => boolean, headings: (rel: string) => string[]): string[] {
  const problems: string[] = [];
  if (/\.\.\/shared|\/work\/|shared\/reference/.test(text)) problems.push(`${file} mentions a path outside the repository (../shared, /work)`);
  for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^https?:\/\//.test(target)) {
      const host = new URL(target).host;
      if (!PUBLIC_HOSTS.includes(host)) problems.push(`${file} links ${target}: not public upstream documentation`);
      continue;
    }
    if (/^[a-z]+:/i.test(target) || target.startsWith("/")) {
      problems.push(`${file} links ${target}: not a path inside the repository`);
      continue;
    }
    const [p, anchor] = target.split("#") as [string, string | undefined];
    const rel = p ? path.normalize(path.join(path.dirname(file), p)) : file;
    if (rel.startsWith("..")) {
      problems.push(`${file} links ${target}, outside the repository`);
      continue;
    }
    if (!exists(rel)) {
      if (!PENDING.includes(rel)) problems.push(`${file} links ${target}, which does not exist`);
      continue;
    }
    if (anchor && rel.endsWith(".md") && !headings(rel).includes(anchor)) problems.push(`${file} links ${target}: no such heading in ${rel}`);
  }
  return problems;
}

const existsInRepo = (rel: string) => fs.existsSync(path.join(ROOT, rel));
const headingsOf = (rel: string) =>
  fs.readFileSync(path.join(ROOT, rel), "utf8").split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, "")));

describe("the README's promise", () => {
  it("is short: at most 150 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(150);
  });

  it("its set-up command deploys dev with npm run deploy, which runs pulumi up with the policy pack", () => {
    const lines = block("setup-command");
    expect(lines[lines.length - 1]).toBe("npm ci && npm run deploy -- --stack dev");
    expect(lines[0]).toMatch(/^export PULUMI_CONFIG_PASSPHRASE=/);
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.deploy).toBe("tsx components/operate/pulumi.ts deploy");
  });

  it("its test command is the one .ci/run runs, and CI runs .ci/run", () => {
    const [command, ...rest] = block("test-command");
    expect(rest).toEqual([]);
    const ci = fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8").split("\n").map((l) => l.trim());
    expect(ci).toContain(command);
    expect(fs.readFileSync(path.join(ROOT, ".github/workflows/change-review.yml"), "utf8")).toMatch(/bash \.ci\/run/);
  });

  it("says Pulumi is installed the official way, and keeps the CI toolchain out of the user's path", () => {
    expect(readme).toMatch(/Pulumi CLI \(\[installed the official way\]\(https:\/\/www\.pulumi\.com\/docs\/install\/\)\)/);
    expect(readme).not.toMatch(/\.ci\/toolchain|install\.sh|engine\.sh/);
  });
});

describe("links in the README and docs", () => {
  const files = markdownFiles();

  it("finds the pages", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "docs/README.md", "docs/operations.md", "docs/reference/configuration.md", "bench/README.md"]));
  });

  it.each(files)("%s links only inside the repository or to public upstream docs, and every target exists", (file) => {
    expect(linkProblems(file, fs.readFileSync(path.join(ROOT, file), "utf8"), existsInRepo, headingsOf)).toEqual([]);
  });

  it("the check refuses what a user who clones the repository does not have", () => {
    const page = [
      "[runbook](../shared/reference/operations-runbook.md)",
      "[anchors](/work/shared/reference/security-anchors.md)",
      "[gone](docs/nope.md)",
      "[somewhere](https://example.com/x)",
      "[ok](docs/operations.md#the-firewall)",
      "[bad anchor](docs/operations.md#no-such-part)",
    ].join("\n");
    const problems = linkProblems("README.md", page, existsInRepo, headingsOf);
    expect(problems).toEqual([
      "README.md mentions a path outside the repository (../shared, /work)",
      "README.md links ../shared/reference/operations-runbook.md, outside the repository",
      "README.md links /work/shared/reference/security-anchors.md: not a path inside the repository",
      "README.md links docs/nope.md, which does not exist",
      "README.md links https://example.com/x: not public upstream documentation",
      "README.md links docs/operations.md#no-such-part: no such heading in docs/operations.md",
    ]);
  });
});
