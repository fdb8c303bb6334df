// The monitor's image build inputs: what the tests run is what the image installs.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { httpHealthcheck } from "../../../components/container/spec";
import { MONITOR_APP_DIR } from "../../../components/health-monitor";
import { ROOT } from "../../harness/stack-files";

const json = (f: string) => JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, Record<string, string>>;
const app = json(path.join(MONITOR_APP_DIR, "package.json"));
const appLock = json(path.join(MONITOR_APP_DIR, "package-lock.json")) as unknown as { packages: Record<string, { version: string }> };
const root = json(path.join(ROOT, "package.json"));

describe("the monitor's image build", () => {
  it("installs the same versions the repository's tests run against", () => {
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    for (const [name, version] of Object.entries({ ...app.dependencies, ...app.devDependencies })) {
      expect(rootVersions[name], name).toBe(version);
      expect(appLock.packages[`node_modules/${name}`]?.version, `${name} in the app's lockfile`).toBe(version);
    }
  });

  it("builds from node:20-slim with the lockfile, and runs as uid 1000 without root", () => {
    const dockerfile = fs.readFileSync(path.join(MONITOR_APP_DIR, "Dockerfile"), "utf8");
    expect(dockerfile.match(/^FROM .*/gm)).toEqual(["FROM node:20-slim AS build", "FROM node:20-slim"]);
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main.js"\]$/m);
    // The image's own healthcheck is the platform's bash check (not a second Node process), on $PORT.
    const healthcheck = JSON.parse(/^HEALTHCHECK .* CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(healthcheck).toEqual(httpHealthcheck(8083, "/health", "bash").test.slice(1).map((a) => a.replace("/8083 ", "/${PORT:-8083} ")));
    // The dashboard's files are in the image next to dist/, where main.js looks for them.
    for (const f of ["dashboard.html", "dashboard.js", "dashboard.css"]) expect(fs.existsSync(path.join(MONITOR_APP_DIR, "public", f)), f).toBe(true);
  });
});
