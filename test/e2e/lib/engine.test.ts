import { describe, expect, it } from "vitest";
import { execNeverStarted } from "./engine";

describe("execNeverStarted", () => {
  const seen =
    "OCI runtime exec failed: exec failed: unable to start container process: waiting for init preliminary setup: read init-p: connection reset by peer: unknown\n";

  it("knows the runtime's failure to start an exec'd process (seen in CI), which is safe to run again", () => {
    expect(execNeverStarted({ status: 126, stdout: "", stderr: seen })).toBe(true);
  });

  it("leaves every other failure to the caller: the command's own exit, a missing executable, a stopped container", () => {
    expect(execNeverStarted({ status: 1, stdout: "", stderr: "restic: repository not found\n" })).toBe(false);
    expect(execNeverStarted({ status: 126, stdout: "", stderr: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "restic": executable file not found in $PATH: unknown\n' })).toBe(false);
    expect(execNeverStarted({ status: 1, stdout: "", stderr: "Error response from daemon: container 3f2 is not running\n" })).toBe(false);
    expect(execNeverStarted({ status: 0, stdout: "", stderr: seen })).toBe(false);
  });
});
