import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_VERSION_ENV, compareApi, EngineTooOldError, featuresOf, probeEngine } from "../../../components/container/engine";

describe("what an engine can take", () => {
  it("compares API versions numerically", () => {
    expect(compareApi("1.44", "1.9")).toBeGreaterThan(0);
    expect(compareApi("1.41", "1.44")).toBeLessThan(0);
    expect(compareApi("1.45", "1.45")).toBe(0);
  });

  it("gives the healthcheck start interval from API 1.44 (Engine 25) on, and leaves it out before", () => {
    expect(featuresOf("1.45")).toEqual({ apiVersion: "1.45", healthStartInterval: true });
    expect(featuresOf("1.44").healthStartInterval).toBe(true);
    expect(featuresOf("1.41")).toEqual({ apiVersion: "1.41", healthStartInterval: false });
  });

  it("refuses an engine older than 20.10, naming its version and the fix", () => {
    expect(() => featuresOf("1.40")).toThrow(EngineTooOldError);
    expect(() => featuresOf("1.40")).toThrow(/API 1\.40, older than 1\.41 .*upgrade Docker/);
    expect(() => featuresOf("twenty")).toThrow(/not a Docker API version/);
  });
});

describe("asking the engine", () => {
  // A stand-in Engine API on a unix socket, answering GET /version as dockerd does.
  let dir: string;
  let server: http.Server;
  let apiVersion = "1.41";
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
    server = http.createServer((req, res) => {
      if (req.url === "/version") res.end(JSON.stringify({ Version: "20.10.24", ApiVersion: apiVersion }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(path.join(dir, "docker.sock"), r));
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the API version over the unix socket and says what an old engine lacks", async () => {
    apiVersion = "1.41";
    const r = await probeEngine(`unix://${dir}/docker.sock`, { env: {} });
    expect(r.features).toEqual({ apiVersion: "1.41", healthStartInterval: false });
    expect(r.notice).toMatch(/API 1\.41 .*without a start interval/);
    apiVersion = "1.45";
    expect(await probeEngine(`unix://${dir}/docker.sock`, { env: {} })).toEqual({ features: { apiVersion: "1.45", healthStartInterval: true }, notice: undefined });
  });

  it("assumes a current engine when it cannot ask, and says how to tell it otherwise", async () => {
    const r = await probeEngine(`unix://${dir}/missing.sock`, { env: {} });
    expect(r.features.healthStartInterval).toBe(true);
    expect(r.notice).toContain(API_VERSION_ENV);
  });

  it("takes the version from the environment without asking", async () => {
    const r = await probeEngine("ssh://nobody@203.0.113.1", { env: { [API_VERSION_ENV]: "1.43" }, fetch: () => Promise.reject(new Error("must not ask")) });
    expect(r.features).toEqual({ apiVersion: "1.43", healthStartInterval: false });
  });

  it("fails the deployment on an engine too old to run it", async () => {
    apiVersion = "1.38";
    await expect(probeEngine(`unix://${dir}/docker.sock`, { env: {} })).rejects.toThrow(EngineTooOldError);
  });
});
