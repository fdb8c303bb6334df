// Tests that run the real Debian tools (shellcheck, iptables, ip, nginx) on this machine.
import { spawnSync } from "child_process";
import type { TestContext } from "vitest";

export const hasTool = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;

// A test that needs a tool or a privilege this machine lacks is skipped, saying why; where it must run
// (CI installs the tools with .ci/run and runs as root) the same reason fails it instead, since a skip
// there would hide a broken install.
export function skipOrFail(ctx: TestContext, problem: string | undefined, mustRun: boolean = Boolean(process.env.CI)): void {
  if (!problem) return;
  if (!mustRun) ctx.skip(problem);
  throw new Error(`cannot run this test: ${problem}`);
}
