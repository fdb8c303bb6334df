import { describe, expect, it } from "vitest";
import { noSensitiveHostMounts, sensitiveDir } from "../../../policies/container/no-sensitive-host-mounts";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations } from "../fixtures";

const bind = (source: string) => container({ mounts: [{ type: "bind", source, target: "/host", readOnly: true }] });

describe("no-sensitive-host-mounts (CIS 5.6)", () => {
  it("knows the sensitive directories and what is under them", () => {
    expect(["/", "/etc", "/etc/ssl", "/usr/lib", "/proc/1", "/sys", "/boot/", "/dev/sda", "/lib"].map(sensitiveDir)).not.toContain(undefined);
    expect(["/srv/backups", "/home/pa/ai-PA", "/etcetera", "/var/lib/data"].map(sensitiveDir)).toEqual([undefined, undefined, undefined, undefined]);
  });
  it("passes named volumes and ordinary host paths", async () => {
    expectClean(await runPolicy(noSensitiveHostMounts, [container(), bind("/srv/backups")]));
  });
  it("reports a sensitive host directory, read-only or not", async () => {
    expectViolations(await runPolicy(noSensitiveHostMounts, bind("/etc")), ["mounts host path /etc (under /etc)", "named volume"]);
    expectViolations(await runPolicy(noSensitiveHostMounts, container({ volumes: [{ hostPath: "/", containerPath: "/host" }] })), ["host path / (under /)"]);
  });
  it("can't decide while the source is unknown", async () => {
    expectUndecided(await runPolicy(noSensitiveHostMounts, bind(UNKNOWN_STRING)), "mounts");
  });
});
