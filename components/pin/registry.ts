// Tag -> digest through the Docker Registry HTTP API v2 (the OCI distribution spec): a HEAD of the tag's
// manifest answers its digest in Docker-Content-Digest. For a multi-arch image that is the index's
// digest, which every platform pulls through (as `docker buildx imagetools inspect` prints). Registries
// that want a token say so in WWW-Authenticate (Docker Hub, GHCR: anonymous tokens for public images);
// credentials come from ~/.docker/config.json's `auths`, as `docker login` writes them.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export class PinError extends Error {}

export interface ImageReference {
  // As written, without the digest.
  name: string;
  registry: string;
  repository: string;
  tag: string;
  digest?: string;
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

// Docker's normalisation: no registry means Docker Hub, and a one-part name there is library/<name>.
export function parseReference(ref: string): ImageReference {
  const [withoutDigest, digest] = ref.split("@") as [string, string | undefined];
  const slash = withoutDigest.indexOf("/");
  const first = slash < 0 ? "" : withoutDigest.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "docker.io";
  let rest = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
  const colon = rest.lastIndexOf(":");
  if (colon < 0) throw new PinError(`${ref} has no tag: name the version to pin, e.g. ${withoutDigest}:1.2.3`);
  const tag = rest.slice(colon + 1);
  rest = rest.slice(0, colon);
  const repository = registry === "docker.io" && !rest.includes("/") ? `library/${rest}` : rest;
  return { name: withoutDigest, registry, repository, tag, digest };
}

const isLoopback = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);

export function registryBase(registry: string): string {
  if (registry === "docker.io") return "https://registry-1.docker.io";
  // Docker talks plain HTTP to a registry on loopback; everything else is HTTPS.
  return `${isLoopback(registry) ? "http" : "https"}://${registry}`;
}

export type Credentials = (registry: string) => { username: string; password: string } | undefined;

export function dockerConfigCredentials(file = path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json")): Credentials {
  let auths: Record<string, { auth?: string }> = {};
  try {
    auths = (JSON.parse(fs.readFileSync(file, "utf8")) as { auths?: typeof auths }).auths ?? {};
  } catch {
    // No docker login on this machine: anonymous access.
  }
  return (registry) => {
    const keys = registry === "docker.io" ? ["https://index.docker.io/v1/", "docker.io", "index.docker.io"] : [registry, `https://${registry}`];
    const entry = keys.map((k) => auths[k]).find((a) => a?.auth);
    if (!entry?.auth) return undefined;
    const [username, ...rest] = Buffer.from(entry.auth, "base64").toString("utf8").split(":");
    return { username: username!, password: rest.join(":") };
  };
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export async function resolveDigest(ref: ImageReference, credentials: Credentials = dockerConfigCredentials(), timeoutMs = 20_000): Promise<string> {
  const base = registryBase(ref.registry);
  const url = `${base}/v2/${ref.repository}/manifests/${encodeURIComponent(ref.tag)}`;
  const creds = credentials(ref.registry);
  const request = (method: string, auth?: string) =>
    fetch(url, { method, headers: { accept: MANIFEST_TYPES, ...(auth ? { authorization: auth } : {}) }, signal: AbortSignal.timeout(timeoutMs) });
  let res: Response;
  try {
    res = await request("HEAD");
    if (res.status === 401) {
      const c = challenge(res.headers.get("www-authenticate"));
      let auth: string | undefined;
      if (c?.scheme === "basic" && creds) auth = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
      else if (c?.scheme === "bearer" && c.params.realm) {
        const tokenUrl = new URL(c.params.realm);
        if (c.params.service) tokenUrl.searchParams.set("service", c.params.service);
        tokenUrl.searchParams.set("scope", c.params.scope ?? `repository:${ref.repository}:pull`);
        const t = await fetch(tokenUrl, {
          headers: creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` } : {},
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!t.ok) throw new PinError(`${ref.registry} refused a token for ${ref.repository} (HTTP ${t.status}): docker login ${ref.registry} first if it is private`);
        const body = (await t.json()) as { token?: string; access_token?: string };
        auth = `Bearer ${body.token ?? body.access_token}`;
      }
      if (!auth) throw new PinError(`${ref.registry} wants credentials for ${ref.repository}: docker login ${ref.registry}`);
      res = await request("HEAD", auth);
      if (res.status === 401 || res.status === 403) throw new PinError(`${ref.registry} refused access to ${ref.repository} (HTTP ${res.status}): docker login ${ref.registry} with an account that can pull it`);
      if (res.ok && !res.headers.get("docker-content-digest")) res = await request("GET", auth);
    } else if (res.ok && !res.headers.get("docker-content-digest")) res = await request("GET");
  } catch (e) {
    if (e instanceof PinError) throw e;
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new PinError(`cannot reach the registry ${ref.registry} (${base}) for ${ref.name}: ${cause ?? (e as Error).message}`);
  }
  if (res.status === 404) throw new PinError(`${ref.registry} has no tag ${ref.tag} of ${ref.repository}: push it first, or fix the tag (${ref.name})`);
  if (!res.ok) throw new PinError(`${ref.registry} answered HTTP ${res.status} for ${ref.name}`);
  const digest = res.headers.get("docker-content-digest") ?? `sha256:${createHash("sha256").update(Buffer.from(await res.arrayBuffer())).digest("hex")}`;
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new PinError(`${ref.registry} answered an unexpected digest for ${ref.name}: ${digest}`);
  return digest;
}
