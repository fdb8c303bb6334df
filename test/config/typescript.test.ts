// How Pulumi runs the program: the nodejs host's ts-node transpiles index.ts without type checking (the
// tsconfig Pulumi.yaml names sets noCheck, read by the SDK's own reader as the host does), and the
// README's test command type-checks instead.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../harness/stack-files";

describe("TypeScript under Pulumi", () => {
  it("runs index.ts transpiled only, and leaves type checking to npm test", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { typescript: boolean; tsconfig: string } } };
    expect(project.runtime.options).toMatchObject({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal reader, as its run.js calls it
    const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions: (p: string) => Record<string, unknown> };
    expect(loadTypeScriptCompilerOptions(path.join(ROOT, project.runtime.options.tsconfig)).noCheck).toBe(true);
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toMatch(/npm run typecheck/);
    expect(scripts.typecheck).toBe("tsc --noEmit -p .");
  });
});
