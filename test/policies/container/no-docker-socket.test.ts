import { describe, it } from "vitest";
import { noDockerSocket } from "../../../policies/container/no-docker-socket";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-docker-socket (CIS 5.32)", () => {
  it("passes named volumes", async () => {
    expectClean(await runPolicy(noDockerSocket, [container(), service()]));
  });
  it("reports the socket mounted as a bind mount, an old-style volume, or through /var/run", async () => {
    expectViolations(await runPolicy(noDockerSocket, container({ mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }] })), ["mounts the Docker socket (/var/run/docker.sock)", "root on the host"]);
    expectViolations(await runPolicy(noDockerSocket, container({ volumes: [{ hostPath: "/run/docker.sock", containerPath: "/docker.sock" }] })), ["/run/docker.sock"]);
    expectViolations(await runPolicy(noDockerSocket, container({ volumes: [{ hostPath: "/var/run", containerPath: "/host-run" }] })), ["(/var/run)"]);
    expectViolations(await runPolicy(noDockerSocket, service({}, { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/s" }] })), ["Docker socket"]);
  });
  it("can't decide while a mount source is unknown", async () => {
    expectUndecided(await runPolicy(noDockerSocket, container({ mounts: [{ type: "bind", source: UNKNOWN_STRING, target: "/x" }] })), "mounts");
  });
});
