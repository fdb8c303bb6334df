import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import type * as docker from "@pulumi/docker";
import { chownTargets, filesPlan, initArgs, initGate, INIT_SCRIPT_SOURCE, manifest, ownerOf } from "../../../components/container/init";
import { hasTool, skipOrFail } from "../../harness/tools";
import { platformDefaults, workloadSpec } from "../../harness/fixtures";

const platform = platformDefaults();
const files = [
  { path: "/app/config/keys.json", content: "{\"k\":1}", secret: true },
  { path: "/etc/app/app.conf", content: "a=1\n", secret: false },
  { path: "/app/config/extra.txt", content: "x", secret: false },
];

describe("the files plan", () => {
  it("groups files by directory in a stable order, 0400 for secrets and 0444 for the rest", () => {
    const plan = filesPlan({ files });
    expect(plan.map((d) => [d.index, d.dir, d.files.map((f) => `${f.name}:${f.mode}`)])).toEqual([
      [0, "/app/config", ["extra.txt:0444", "keys.json:0400"]],
      [1, "/etc/app", ["app.conf:0444"]],
    ]);
    expect(manifest(plan)).toBe("0 extra.txt 0444\n0 keys.json 0400\n1 app.conf 0444\n");
  });

  it("owns files and volumes as the workload's user, root when it keeps the image's", () => {
    expect([ownerOf("1000:1000"), ownerOf("101"), ownerOf(undefined)]).toEqual(["1000:1000", "101:101", "0:0"]);
    const volumes = [
      { volume: "d", volumeName: "data", path: "/app/data", readOnly: false },
      { volume: "r", volumeName: "ro", path: "/ro", readOnly: true },
    ];
    expect(chownTargets({ user: "1000:1000", volumes })).toEqual(["/app/data"]);
    expect(chownTargets({ user: undefined, volumes })).toEqual([]);
    expect(chownTargets({ user: "0:0", volumes })).toEqual([]);
  });
});

describe("the init container", () => {
  it("is not declared when there is nothing to prepare", () => {
    expect(initArgs(workloadSpec(), platform, [])).toBeUndefined();
    expect(initArgs(workloadSpec({ user: undefined, volumes: [{ volume: "v", volumeName: "x", path: "/d", readOnly: false }] }), platform, [])).toBeUndefined();
  });

  it("runs once as root with CHOWN only, no network and no new privileges, and is never restarted", () => {
    const a = initArgs(workloadSpec({ files }), platform, ["vol-0", "vol-1"], "#!/bin/sh\n")!;
    expect([a.user, a.networkMode, a.restart, a.attach, a.mustRun, a.logs]).toEqual(["0:0", "none", "no", true, false, true]);
    expect(a.capabilities).toEqual({ drops: ["ALL"], adds: ["CAP_CHOWN"] });
    expect(a.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(a.labels).toContainEqual({ label: "component", value: "volume-init" });
    expect(a.entrypoints).toEqual(["sh", "/mcp-platform/init.sh"]);
  });

  it("receives the files in its own writable root and mounts each files volume to fill it", async () => {
    const a = initArgs(workloadSpec({ files }), platform, ["vol-0", "vol-1"], "#!/bin/sh\n")!;
    // Docker refuses uploads into a read-only root; this one holds only what it copies.
    expect(a.readOnly).toBe(false);
    const uploads = a.uploads as { file: string; content: unknown; permissions: string }[];
    expect(uploads.map((u) => `${u.file} ${u.permissions}`)).toEqual([
      "/mcp-platform/init.sh 0555",
      "/mcp-platform/manifest 0444",
      "/mcp-platform/files/0/extra.txt 0444",
      "/mcp-platform/files/0/keys.json 0400",
      "/mcp-platform/files/1/app.conf 0444",
    ]);
    const secretUpload = uploads.find((u) => u.file.endsWith("keys.json"))!;
    expect(await pulumi.isSecret(secretUpload.content as pulumi.Output<string>)).toBe(true);
    expect(a.mounts).toEqual([
      { type: "volume", source: "vol-0", target: "/mcp-platform/out/0" },
      { type: "volume", source: "vol-1", target: "/mcp-platform/out/1" },
    ]);
  });

  it("chowns the writable volumes' mount points of a non-root workload", () => {
    const spec = workloadSpec({ volumes: [{ volume: "d", volumeName: "mcp-dev-data", path: "/app/data", readOnly: false }] });
    const a = initArgs(spec, platform, [], "#!/bin/sh\n")!;
    expect(a.envs).toEqual(["INIT_OWNER=1000:1000", "INIT_CHOWN=/app/data"]);
    // Only the script: Docker's provider refuses an empty upload, so there is no manifest without files.
    expect((a.uploads as { file: string }[]).map((u) => u.file)).toEqual(["/mcp-platform/init.sh"]);
    expect(a.mounts).toEqual([{ type: "volume", source: "mcp-dev-data", target: "/app/data" }]);
  });
});

describe("init.sh, run for real", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function stage(plan: ReturnType<typeof filesPlan>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
    dirs.push(root);
    fs.writeFileSync(path.join(root, "manifest"), manifest(plan));
    for (const d of plan) {
      fs.mkdirSync(path.join(root, "files", String(d.index)), { recursive: true });
      fs.mkdirSync(path.join(root, "out", String(d.index)), { recursive: true });
      for (const f of d.files) fs.writeFileSync(path.join(root, "files", String(d.index), f.name), String(f.content));
    }
    return root;
  }

  const run = (root: string, env: Record<string, string> = {}) =>
    spawnSync("sh", [INIT_SCRIPT_SOURCE], { env: { PATH: process.env.PATH, INIT_ROOT: root, INIT_OWNER: "1000:1000", ...env }, encoding: "utf8" });

  it("writes each file with its mode and owner, and removes what is no longer listed", (ctx) => {
    skipOrFail(ctx, process.getuid?.() !== 0 ? "chown needs root" : undefined);
    const root = stage(filesPlan({ files }));
    fs.writeFileSync(path.join(root, "out", "0", "stale.json"), "old");
    const r = run(root);
    expect(r.status, r.stderr).toBe(0);
    const keys = fs.statSync(path.join(root, "out", "0", "keys.json"));
    expect([keys.mode & 0o777, keys.uid, keys.gid]).toEqual([0o400, 1000, 1000]);
    expect(fs.statSync(path.join(root, "out", "1", "app.conf")).mode & 0o777).toBe(0o444);
    expect(fs.readFileSync(path.join(root, "out", "0", "keys.json"), "utf8")).toBe("{\"k\":1}");
    expect(fs.readdirSync(path.join(root, "out", "0")).sort()).toEqual(["extra.txt", "keys.json"]);
    expect(r.stdout).toContain("3 file(s) in place for 1000:1000");
  });

  it("chowns the listed mount points, and fails loudly when a staged file is missing", (ctx) => {
    skipOrFail(ctx, process.getuid?.() !== 0 ? "chown needs root" : undefined);
    const root = stage(filesPlan({ files: [files[1]!] }));
    const data = path.join(root, "data");
    fs.mkdirSync(data);
    expect(run(root, { INIT_CHOWN: data }).status).toBe(0);
    expect(fs.statSync(data).uid).toBe(1000);
    fs.rmSync(path.join(root, "files", "0", "app.conf"));
    const r = run(root);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/app\.conf/);
  });

  it("is shellcheck clean", (ctx) => {
    skipOrFail(ctx, hasTool("shellcheck") ? undefined : "shellcheck is not installed");
    const r = spawnSync("shellcheck", [INIT_SCRIPT_SOURCE], { encoding: "utf8" });
    expect(r.status, r.stdout).toBe(0);
  });
});

describe("the init's gate", () => {
  // initGate reads only these outputs of the init container.
  const fakeInit = (exitCode: number, logs: string) =>
    ({ id: pulumi.output("init-id"), exitCode: pulumi.output(exitCode), containerLogs: pulumi.output(logs) }) as unknown as docker.Container;
  // Output#promise() is the SDK's own way to await a value (internal, hence the cast). A failed apply
  // also rejects the output's other internal promises (isKnown, isSecret): handled here, as the engine does.
  const valueOf = <T>(o: pulumi.Output<T>) => {
    const internal = o as unknown as { promise(): Promise<T>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    internal.isKnown.catch(() => undefined);
    internal.isSecret.catch(() => undefined);
    return internal.promise();
  };

  it("passes the init's id once it exited 0", async () => {
    await expect(valueOf(initGate(fakeInit(0, "init: 1 file(s) in place"), "gmail"))).resolves.toBe("init-id");
  });

  it("fails the deployment when it exited otherwise, with its output (attach alone would not)", async () => {
    await expect(valueOf(initGate(fakeInit(1, "cp: cannot stat '/mcp-platform/files/0/keys.json'\n"), "gmail"))).rejects.toThrow(
      /gmail: its init container exited with status 1; its output:\ncp: cannot stat/,
    );
  });
});
