// Global set-up of the end-to-end suite: the toolchain's plugins, the registry on loopback, the engine
// (with that registry as its Docker Hub mirror) and the stand-in images. Where the toolchain is missing
// the suite is skipped with the reason (a failure under CI, where .ci/run installs it).
import type { TestProject } from "vitest/node";
import { cleanEngine, startEngine, stopEngine } from "./lib/engine";
import { prepareImages, type PushedImages } from "./lib/images";
import { startRegistry } from "./lib/registry";
import { findToolchain, installPlugins, RUN, type Toolchain } from "./lib/toolchain";



export interface E2EContext {
  // Why the suite cannot run here; unset when it can.
  unavailable?: string;
  toolchain?: Toolchain;
  engineHost?: string;
  registry?: string;
  images?: PushedImages;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EContext;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = findToolchain();
  if (typeof found === "string") {
    project.provide("e2e", { unavailable: found });
    return async () => {};
  }
  const started = Date.now();
  await installPlugins(found);
  const registry = await startRegistry();
  const engine = await startEngine(RUN, { registryMirror: `http://${registry.address}` });
  await cleanEngine(engine);
  const images = await prepareImages(engine, registry.address);
  process.stderr.write(`e2e: toolchain, registry, engine and images ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  project.provide("e2e", { toolchain: found, engineHost: engine.host, registry: registry.address, images });
  return async () => {
    await cleanEngine(engine).catch(() => undefined);
    await stopEngine(RUN);
    await registry.stop();
  };
}
