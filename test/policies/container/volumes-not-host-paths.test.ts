import { describe, it } from "vitest";
import { noDockerSocket } from "../../../policies/container/no-docker-socket";
import { noSensitiveHostMounts } from "../../../policies/container/no-sensitive-host-mounts";
import { volumesNotHostPaths } from "../../../policies/container/volumes-not-host-paths";
import { VOLUME } from "../../../policies/lib/workload";
import { UNKNOWN_STRING, runPolicy, type TestResource } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, volume } from "../fixtures";

const bindVolume = (device: string, name = "mcp-dev-etc"): TestResource => ({ type: VOLUME, name, props: { name, driver: "local", driverOpts: { type: "none", o: "bind", device } } });

describe("volumes-not-host-paths (CIS 5.6)", () => {
  it("passes plain named volumes and an NFS export (remote storage, not a host path)", async () => {
    const nfs: TestResource = { type: VOLUME, name: "offsite", props: { name: "offsite", driver: "local", driverOpts: { type: "nfs", o: "addr=nas.lan,rw", device: ":/export/mcp-backups" } } };
    expectClean(await runPolicy(volumesNotHostPaths, [volume("mcp-dev-neo4j-data"), nfs]));
  });
  it("reports a local volume that binds a host directory", async () => {
    expectViolations(await runPolicy(volumesNotHostPaths, bindVolume("/etc")), ["Volume mcp-dev-etc binds host path /etc"]);
  });
  it("and a container's own volumeOptions doing the same are judged as the bind mount they are", async () => {
    const c = container({ mounts: [{ type: "volume", source: "sneaky", target: "/host-etc", volumeOptions: { driverName: "local", driverOptions: { type: "none", o: "bind", device: "/etc" } } }] });
    expectViolations(await runPolicy(noSensitiveHostMounts, c), ["mounts host path /etc"]);
    const s = service({}, { mounts: [{ type: "volume", source: "sneaky", target: "/x", volumeOptions: { driverOptions: { o: "bind", device: "/var/run" } } }] });
    expectViolations(await runPolicy(noDockerSocket, s), ["mounts the Docker socket (/var/run)"]);
  });
  it("can't decide while the options are computed and unknown", async () => {
    expectUndecided(await runPolicy(volumesNotHostPaths, computedFrom({ ...bindVolume("/etc"), props: { name: "v", driverOpts: UNKNOWN_STRING } }, { driverOpts: ["x"] })), "driver and options");
  });
  it("honours an exception naming the volume, with a reason", async () => {
    expectClean(await runPolicy(volumesNotHostPaths, bindVolume("/srv/shared"), { exceptions: [{ volume: "mcp-dev-etc", reason: "a shared media directory the operator manages" }] }));
  });
});
