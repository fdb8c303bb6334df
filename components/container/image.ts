// Images: pulled from a registry, or built from a directory of the user's ai-PA checkout.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { PlatformDefaults } from "./defaults";

export interface ImageSource {
  image?: string;
  build?: { context: string; dockerfile?: string };
}

// A cheap fingerprint of a build context (paths, sizes, modification times), so that `pulumi up`
// rebuilds an image when its sources change and not otherwise.
export function contextFingerprint(dir: string): string {
  const hash = crypto.createHash("sha256");
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === "node_modules" || entry.name === ".git" || entry.name === "dist") continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const st = fs.statSync(p);
        hash.update(`${path.relative(dir, p)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  walk(dir);
  return hash.digest("hex");
}

// Where a built image is pushed in swarm mode, and the address the provider reads its digest from.
export function pushTarget(registry: string, name: string, stack: string): { repository: string; tag: string; address: string } {
  const plain = registry.replace(/^https?:\/\//, "");
  return {
    repository: `${plain}/mcp-platform/${name}`,
    tag: stack,
    // The provider looks the pushed digest up over HTTPS unless the address says http://.
    address: registry.startsWith("http://") ? `http://${plain.split("/")[0]}` : `https://${plain.split("/")[0]}`,
  };
}

// A reference every Swarm node can pull: a repo digest. An image that has none was never pulled from or
// pushed to a registry, and no other node could find it.
export function requireRepoDigest(name: string, image: string, repoDigest: string | undefined): string {
  if (!repoDigest || !repoDigest.includes("@sha256:"))
    throw new Error(
      `${name}: the image ${image} has no registry digest on the Docker host (it was built or loaded there, not pulled): in swarm mode every node pulls images by digest, so push it to a registry the nodes can reach and name it there`,
    );
  return repoDigest;
}

export type ImageTarget = Pick<PlatformDefaults, "mode" | "swarm">;

// The image a workload runs. On one host, the image id: a rebuilt or re-pulled image replaces the
// container. On a Swarm, a registry reference pinned by digest: a node pulls what a service names, and
// a local image id (what RemoteImage.imageId gives) exists on the manager only ("No such image" on every
// other node). Built images are pushed to swarm.registry first.
export function serviceImage(
  name: string,
  source: ImageSource,
  resolveContext: (context: string) => string,
  target: ImageTarget,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  const swarm = target.mode === "swarm";
  if (source.build) {
    const context = resolveContext(source.build.context);
    if (swarm && !target.swarm.registry) throw new Error(`${name}: swarm mode builds need swarm.registry (the config check should have caught this)`);
    const push = swarm ? pushTarget(target.swarm.registry!, name, pulumi.getStack()) : undefined;
    const image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: push ? `${push.repository}:${push.tag}` : `mcp-platform/${name}:${pulumi.getStack()}`,
        build: {
          context,
          dockerfile: source.build.dockerfile ? path.join(context, source.build.dockerfile) : undefined,
          label: { "dev.mcp-platform.service": name },
          // The provider's BuildKit path builds on the Docker CLI's default endpoint (DOCKER_HOST or
          // /var/run/docker.sock), not on the provider's host: with any other dockerHost it builds on the
          // wrong engine, or fails (seen with provider 5.2.0). The classic builder uses the provider's
          // own client, so the image lands where the containers run.
          useLegacyBuilder: true,
        },
        triggers: { context: contextFingerprint(context) },
        keepLocally: true,
      },
      opts,
    );
    if (!push) return image.imageId;
    // Pushed by the engine behind dockerHost; a new build (a new image id) pushes again. Kept in the
    // registry on destroy: a rollback or another stack may still name that digest.
    const pushed = new docker.RegistryImage(
      `${name}-push`,
      { name: image.name, keepRemotely: true, triggers: { imageId: image.imageId }, authConfig: { address: push.address } },
      { ...opts, dependsOn: [image] },
    );
    return pulumi.interpolate`${push.repository}@${pushed.sha256Digest}`;
  }
  if (!source.image) throw new Error(`${name}: neither image nor build is set (the config schema should have caught this)`);
  const image = new docker.RemoteImage(`${name}-image`, { name: source.image, keepLocally: true }, opts);
  if (!swarm) return image.imageId;
  const given = source.image;
  return image.repoDigest.apply((d) => requireRepoDigest(name, given, d));
}
