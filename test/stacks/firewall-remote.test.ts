// The prod stack on a remote Docker host (ssh://), evaluated under mocks: the firewall runs over SSH on
// that host, with the key from a secret config key, and the checks use the host's public name.
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, isSecretValue, reveal, type Evaluation } from "../harness/program";
import { fakeSecrets } from "../harness/stack-files";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-test-key\n-----END OPENSSH PRIVATE KEY-----";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("prod", {
    config: {
      "mcp-platform:dockerHost": "ssh://deploy@docker.example.com:2222",
      "mcp-platform:firewall": JSON.stringify({ externalInterface: "ens3", sshPrivateKey: "dockerHostSshKey" }),
    },
    secrets: { ...fakeSecrets("prod"), "mcp-platform:dockerHostSshKey": KEY },
  });
});

describe("the firewall of a stack whose Docker host is reached over SSH", () => {
  it("runs the rules on that host with remote.Command, not on this machine", () => {
    expect(ev.byType("command:local:Command").map((c) => c.name)).toEqual(["verify-checks"]);
    const [fw] = ev.byType("command:remote:Command");
    expect(fw?.name).toBe("firewall-docker-user");
    const inputs = reveal(fw!.inputs) as { create: string; delete: string; connection: Record<string, unknown> };
    expect(inputs.create).toContain("'apply' 'DOCKER-USER' 'ens3' 'mcp-platform:prod' 'any' '8080=0.0.0.0/0'");
    expect(inputs.delete).toContain("'remove' 'DOCKER-USER' 'mcp-platform:prod'");
    expect(inputs.connection).toMatchObject({ host: "docker.example.com", user: "deploy", port: 2222, privateKey: KEY });
  });

  it("keeps the SSH key a secret", () => {
    const [fw] = ev.byType("command:remote:Command");
    const connection = fw!.inputs.connection as Record<string, unknown>;
    expect(isSecretValue(connection) || isSecretValue(connection.privateKey)).toBe(true);
    const plain = JSON.stringify(ev.resources.map((r) => r.inputs), (_k, v: unknown) => (isSecretValue(v) ? "[secret]" : v));
    expect(plain).not.toContain("fake-test-key");
  });

  it("checks the services at the Docker host's name after the deploy", () => {
    const [verify] = ev.byType("command:local:Command");
    expect(reveal(verify!.inputs.create)).toContain('"healthUrl":"https://mcp.example.com:8080/health","mcpUrl":"https://mcp.example.com:8080/mcp"');
  });
});
