import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, isSecretValue, reveal, type Evaluation } from "../../harness/program";
import { fakeSecrets, stackConfig } from "../../harness/stack-files";
import { filesOf } from "../../stacks/declared";
import { backupContainer } from "./stack-checks";

// The prod stack with an off-host restic repository on a REST server (TLS, a user and a password).
const PASSWORD = "rest-pass/with:odd@chars";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
let ev: Evaluation;
beforeAll(async () => {
  const backup = {
    rpoMinutes: 60,
    schedules: [{ name: "hourly", cron: "0 * * * *" }],
    offsite: { rest: { url: "https://backup.example.net:8000/mcp-prod/", username: "mcp-prod", passwordKey: "backupRestPassword", caCertificate: CA } },
  };
  ev = await evaluateStack("prod", {
    config: { ...stackConfig("prod"), "mcp-platform:backup": JSON.stringify(backup) },
    secrets: { ...fakeSecrets("prod"), "mcp-platform:backupRestPassword": PASSWORD },
  });
});

describe("prod backups with an off-host REST repository, under mocks", () => {
  it("hands restic the repository's location, credentials included, as a secret file, never in the environment or in plain state", () => {
    const file = filesOf(ev, "backup").find((f) => f.path === "/run/backup-secrets/offsite-repository")!;
    expect(file.secret).toBe(true);
    // The password percent-encoded in the URL, as restic decodes it.
    expect(file.content).toMatch(/^rest:https:\/\/mcp-prod:[^@/]+@backup\.example\.net:8000\/mcp-prod\/$/);
    expect(decodeURIComponent(new URL((file.content as string).slice("rest:".length)).password)).toBe(PASSWORD);
    const env = reveal(backupContainer(ev).inputs.envs) as string[];
    expect(env).toContain("BACKUP_OFFSITE_REPOSITORY_FILE=/run/backup-secrets/offsite-repository");
    expect(env).toContain("BACKUP_OFFSITE_CACERT=/opt/backup/offsite-ca.pem");
    expect(JSON.stringify(env)).not.toContain("rest-pass");
    expect(filesOf(ev, "backup").find((f) => f.path === "/opt/backup/offsite-ca.pem")?.content).toBe(CA);
    const plain = JSON.stringify(ev.resources.map((r) => Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => !isSecretValue(v)))));
    expect(plain).not.toContain("rest-pass");
  });

  it("gives the backup container, and only it, a network with a route out beside the internal backend", () => {
    const egress = ev.byType("docker:index/network:Network").find((n) => n.inputs.name === "mcp-prod-backup-egress")!;
    expect(egress).toBeDefined();
    expect(egress.inputs.internal).toBeFalsy();
    const nets = (c: { inputs: Record<string, unknown> }) => ((reveal(c.inputs.networksAdvanced) as { name: string }[] | undefined) ?? []).map((n) => n.name);
    expect(nets(backupContainer(ev)).sort()).toEqual(["mcp-prod-backend", "mcp-prod-backup-egress"]);
    const others = ev.byType("docker:index/container:Container").filter((c) => c !== backupContainer(ev));
    expect(others.length).toBeGreaterThan(0);
    for (const c of others) expect(nets(c)).not.toContain("mcp-prod-backup-egress");
  });
});
