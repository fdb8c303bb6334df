// Images: pulled from a registry, or built from a directory of the user's ai-PA checkout.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

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

// The image id a container runs: an id, not a tag, so a rebuilt or re-pulled image replaces the container.
export function serviceImage(
  name: string,
  source: ImageSource,
  resolveContext: (context: string) => string,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  if (source.build) {
    const context = resolveContext(source.build.context);
    const image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: `mcp-platform/${name}:${pulumi.getStack()}`,
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
    return image.imageId;
  }
  if (!source.image) throw new Error(`${name}: neither image nor build is set (the config schema should have caught this)`);
  const image = new docker.RemoteImage(`${name}-image`, { name: source.image, keepLocally: true }, opts);
  return image.imageId;
}
