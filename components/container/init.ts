// The one-shot init of a workload on one Docker host (init.sh): it chowns the writable volumes' mount
// points for a non-root workload and fills a named "files" volume for each directory the workload's
// files live in. Docker refuses to copy files into a container whose root filesystem is read-only (the
// docker provider always copies to `/`), so files never go into the workload itself: the init receives
// them, writes them into the volume, and the workload mounts that volume read-only at the directory.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { dockerCapability, labels, logOptions, secretFilesLabel, type PlatformDefaults } from "./defaults";
import { filesPlan, type FilesDirectory, type WorkloadSpec } from "./spec";

export { filesPlan, type FilesDirectory } from "./spec";

export const INIT_COMPONENT = "volume-init";
export const INIT_SCRIPT_SOURCE = path.join(__dirname, "init.sh");
const ROOT = "/mcp-platform";

// The workload's user as uid:gid; root when the image's own user is kept.
export function ownerOf(user: string | undefined): string {
  if (!user) return "0:0";
  return user.includes(":") ? user : `${user}:${user}`;
}

// Writable volumes whose mount point a non-root workload must own.
export function chownTargets(spec: Pick<WorkloadSpec, "user" | "volumes">): string[] {
  if (!spec.user || ownerOf(spec.user) === "0:0") return [];
  return spec.volumes.filter((v) => !v.readOnly).map((v) => v.path);
}

export function manifest(plan: FilesDirectory[]): string {
  return plan.flatMap((d) => d.files.map((f) => `${d.index} ${f.name} ${f.mode}\n`)).join("");
}

export function readInitScript(): string {
  return fs.readFileSync(INIT_SCRIPT_SOURCE, "utf8");
}

// The init container, or undefined when the workload needs none. `filesVolumes[i]` is the volume of plan[i].
export function initArgs(
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  filesVolumes: pulumi.Input<string>[],
  script: string = readInitScript(),
): docker.ContainerArgs | undefined {
  const plan = filesPlan(spec);
  const chown = chownTargets(spec);
  if (plan.length === 0 && chown.length === 0) return undefined;
  const writable = spec.volumes.filter((v) => !v.readOnly);
  return {
    image: spec.image,
    user: "0:0",
    entrypoints: ["sh", `${ROOT}/init.sh`],
    envs: [`INIT_OWNER=${ownerOf(spec.user)}`, `INIT_CHOWN=${chown.join(" ")}`],
    labels: Object.entries({
      ...labels({ service: spec.service, component: INIT_COMPONENT }, platform.environment),
      ...secretFilesLabel(plan.flatMap((d) => d.files.filter((f) => f.secret).map((f) => `${ROOT}/files/${d.index}/${f.name}`))),
    }).map(([label, value]) => ({ label, value })),
    mounts: [
      ...(chown.length ? writable.map((v) => ({ type: "volume", source: v.volumeName, target: v.path })) : []),
      ...plan.map((d) => ({ type: "volume", source: filesVolumes[d.index]!, target: `${ROOT}/out/${d.index}` })),
    ],
    // Uploads land in this container's root filesystem: it is writable, and holds nothing else it runs.
    uploads: [
      { file: `${ROOT}/init.sh`, content: script, permissions: "0555" },
      // No manifest without files: the provider refuses an empty upload, and init.sh then only chowns.
      ...(plan.length ? [{ file: `${ROOT}/manifest`, content: manifest(plan), permissions: "0444" }] : []),
      ...plan.flatMap((d) =>
        d.files.map((f) => ({
          file: `${ROOT}/files/${d.index}/${f.name}`,
          content: f.secret ? pulumi.secret(f.content) : f.content,
          permissions: f.secret ? "0400" : "0444",
        })),
      ),
    ],
    networkMode: "none",
    readOnly: false,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"], adds: [dockerCapability("CHOWN")] },
    memory: 64,
    memorySwap: 64,
    cpus: "0.1",
    logDriver: "json-file",
    logOpts: logOptions(platform.logging),
    // Run to completion once: Pulumi waits for it to stop (initGate checks how it ended); never restarted.
    attach: true,
    logs: true,
    mustRun: false,
    restart: "no",
  };
}

// The init's id once it has exited 0. The provider's `attach` waits for the container to stop but not
// for success, so a failed init would otherwise pass silently: this fails the deployment instead, with
// the init's own output, and the workload (which waits on this value) is never created.
export function initGate(init: docker.Container, service: string): pulumi.Output<string> {
  return pulumi.all([init.id, init.exitCode, init.containerLogs]).apply(([id, code, logs]) => {
    if (code !== undefined && code !== null && code !== 0)
      throw new Error(`${service}: its init container exited with status ${code}; its output:\n${(logs ?? "").trim() || "(none)"}`);
    return id;
  });
}
