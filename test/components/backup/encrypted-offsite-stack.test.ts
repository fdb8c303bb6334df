import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, isSecretValue, reveal, type Evaluation } from "../../harness/program";
import { fakeSecrets, stackConfig } from "../../harness/stack-files";
import { backupContainer } from "./stack-checks";

// The prod stack with client-side encryption and an NFS target turned on.
let ev: Evaluation;
beforeAll(async () => {
  const backup = {
    rpoMinutes: 60,
    schedules: [{ name: "hourly", cron: "0 * * * *" }],
    encryptionKey: "backupEncryptionKey",
    offsite: { nfs: { address: "nas.lan", path: "/export/mcp-backups" } },
  };
  ev = await evaluateStack("prod", {
    config: { ...stackConfig("prod"), "mcp-platform:backup": JSON.stringify(backup) },
    secrets: { ...fakeSecrets("prod"), "mcp-platform:backupEncryptionKey": "backup-passphrase-0123456789" },
  });
});

describe("prod backups with encryption and an off-host NFS copy, under mocks", () => {
  it("declares the NFS export as a volume through Docker's local driver, and mounts it at /offsite", () => {
    const nfs = ev.byType("docker:index/volume:Volume").find((v) => v.inputs.name === "mcp-prod-backups-offsite")!;
    expect(nfs.inputs).toMatchObject({
      driver: "local",
      driverOpts: { type: "nfs", o: "addr=nas.lan,rw,nfsvers=4,soft,timeo=600", device: ":/export/mcp-backups" },
    });
    const mounts = reveal(backupContainer(ev).inputs.mounts) as { source?: string; target: string; readOnly?: boolean }[];
    expect(mounts.find((m) => m.source === "mcp-prod-backups-offsite")).toMatchObject({ target: "/offsite" });
    expect(reveal(backupContainer(ev).inputs.envs)).toContain("BACKUP_OFFSITE_DIR=/offsite");
  });

  it("passes the encryption passphrase only as a secret env var", () => {
    const c = backupContainer(ev);
    expect(isSecretValue(c.inputs.envs)).toBe(true);
    expect(reveal(c.inputs.envs)).toContain("BACKUP_ENCRYPTION_KEY=backup-passphrase-0123456789");
    const plain = JSON.stringify(ev.resources.map((r) => (isSecretValue(r.inputs.envs) ? { ...r.inputs, envs: null } : r.inputs)));
    expect(plain).not.toContain("backup-passphrase-0123456789");
  });
});
