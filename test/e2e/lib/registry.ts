// A registry on loopback (Debian's docker-registry, distribution 2.8): the suite pushes its stand-in
// images there, and engines pull from it by tag and by digest, as prod pulls from Docker Hub or its own.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RUN_DIR } from "./toolchain";
import { waitFor } from "./run";

export const REGISTRY = "127.0.0.1:5000";

export interface Registry {
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(address = REGISTRY): Promise<Registry> {
  const dir = path.join(RUN_DIR, "registry");
  fs.mkdirSync(path.join(dir, "data"), { recursive: true });
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${address}`,
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  if (!(await answers(address))) {
    child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "registry.log"), "a")] });
    await waitFor("the registry on loopback answers", async () => ((await answers(address)) ? true : undefined), 15_000, 200);
  }
  return {
    address,
    stop: async () => {
      if (!child) return;
      child.kill("SIGTERM");
      await new Promise((r) => child!.once("exit", r));
    },
  };
}

async function answers(address: string): Promise<boolean> {
  try {
    return (await fetch(`http://${address}/v2/`)).ok;
  } catch {
    return false;
  }
}
