import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, isSecretValue, reveal, type Evaluation } from "../../harness/program";
import { fakeSecrets, stackConfig } from "../../harness/stack-files";
import { filesOf } from "../../stacks/declared";
import { backupContainer } from "./stack-checks";

// The prod stack with its own repository password and an off-host restic repository on NFS.
let ev: Evaluation;
beforeAll(async () => {
  const backup = {
    rpoMinutes: 60,
    schedules: [{ name: "hourly", cron: "0 * * * *" }],
    passwordKey: "backupPassword",
    offsite: { nfs: { address: "nas.lan", path: "/export/mcp-backups" } },
  };
  ev = await evaluateStack("prod", {
    config: { ...stackConfig("prod"), "mcp-platform:backup": JSON.stringify(backup) },
    secrets: { ...fakeSecrets("prod"), "mcp-platform:backupPassword": "repo-passphrase-0123456789" },
  });
});

describe("prod backups with a configured repository password and an off-host NFS repository, under mocks", () => {
  it("declares the NFS export as a volume through Docker's local driver, and copies snapshots to a repository on it", () => {
    const nfs = ev.byType("docker:index/volume:Volume").find((v) => v.inputs.name === "mcp-prod-backups-offsite")!;
    expect(nfs.inputs).toMatchObject({
      driver: "local",
      driverOpts: { type: "nfs", o: "addr=nas.lan,rw,nfsvers=4,soft,timeo=600", device: ":/export/mcp-backups" },
    });
    const mounts = reveal(backupContainer(ev).inputs.mounts) as { source?: string; target: string; readOnly?: boolean }[];
    expect(mounts.find((m) => m.source === "mcp-prod-backups-offsite")).toMatchObject({ target: "/offsite" });
    expect(reveal(backupContainer(ev).inputs.envs)).toContain("BACKUP_OFFSITE_REPOSITORY=/offsite/restic");
  });

  it("delivers the configured repository password as a secret file, never in the environment or in plain state", () => {
    const file = filesOf(ev, "backup").find((f) => f.path === "/run/backup-secrets/restic-password")!;
    expect(file.content).toBe("repo-passphrase-0123456789");
    expect(file.secret).toBe(true);
    expect(JSON.stringify(reveal(backupContainer(ev).inputs.envs))).not.toContain("repo-passphrase-0123456789");
    const plain = JSON.stringify(ev.resources.map((r) => Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => !isSecretValue(v)))));
    expect(plain).not.toContain("repo-passphrase-0123456789");
  });
});
