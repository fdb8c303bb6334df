import { describe, expect, it } from "vitest";
import { publicHost, url } from "../../../components/platform/urls";

describe("public URLs", () => {
  it.each([
    ["127.0.0.1", "unix:///var/run/docker.sock", "127.0.0.1"],
    ["10.0.0.5", "ssh://deploy@pa.example.com", "10.0.0.5"],
    ["0.0.0.0", "ssh://deploy@pa.example.com", "pa.example.com"],
    ["0.0.0.0", "tcp://docker.internal:2376", "docker.internal"],
    ["0.0.0.0", "unix:///var/run/docker.sock", "localhost"],
    ["::1", "unix:///var/run/docker.sock", "[::1]"],
  ])("publish address %s on %s is reached at %s", (address, dockerHost, host) => {
    expect(publicHost(address, dockerHost)).toBe(host);
  });

  it("joins host, port and path", () => {
    expect(url("127.0.0.1", 8082, "/mcp/")).toBe("http://127.0.0.1:8082/mcp/");
  });
});
