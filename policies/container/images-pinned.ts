import type { ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { Reader, UNKNOWN } from "../lib/check";
import { exceptionsProperty, matches, who, withDefaults, type Exception } from "../lib/config";
import { cis, type McpPolicy } from "../lib/meta";
import { dependenciesOf, stackWorkloads } from "../lib/stack";
import { isUnknownValue, rawOf } from "../lib/sdk";
import { REMOTE_IMAGE, field, image, labels, text, workloadOf, type Props } from "../lib/workload";

interface Config {
  // prod: every image named by digest (name@sha256:…), so what runs is what was reviewed.
  requireDigest: boolean;
  // dev builds images from the ai-PA checkout; prod pulls reviewed images.
  allowLocalBuilds: boolean;
  exceptions: Exception[];
}
const DEFAULTS: Config = { requireDigest: false, allowLocalBuilds: true, exceptions: [] };

export interface ImageRef {
  digest?: string;
  tag?: string;
  // A bare image id (sha256:…): content-addressed, as pinned as a digest.
  id: boolean;
}
export function parseImage(ref: string): ImageRef {
  if (/^sha256:[0-9a-f]{64}$/i.test(ref)) return { id: true };
  const [name, digest] = ref.split("@", 2) as [string, string | undefined];
  const last = name.slice(name.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return { id: false, digest, tag: colon >= 0 ? last.slice(colon + 1) : undefined };
}

export function pinProblem(ref: string, requireDigest: boolean): string | undefined {
  const r = parseImage(ref);
  if (r.id) return undefined;
  if (r.digest) return /^sha256:[0-9a-f]{64}$/i.test(r.digest) ? undefined : `has a malformed digest (${r.digest})`;
  if (!r.tag) return "has no tag, so Docker pulls latest";
  if (r.tag === "latest") return "uses the latest tag";
  if (requireDigest) return `is pinned by tag (${r.tag}) only; a tag can be moved to another image`;
  return undefined;
}

export const imagesPinned: McpPolicy = {
  name: "images-pinned",
  description: "Images are pinned: never latest or untagged; by digest where config requires it (prod).",
  severity: "high",
  framework: cis("5.28 (image versions pinned)"),
  remediationSteps:
    "Name images with a version tag, and in prod by digest: registry/name:1.2.3@sha256:<digest> (docker buildx imagetools inspect <image> prints it). Prod pulls reviewed images instead of building on the host.",
  configSchema: {
    properties: {
      requireDigest: { type: "boolean" },
      allowLocalBuilds: { type: "boolean" },
      exceptions: exceptionsProperty(),
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const config = withDefaults(DEFAULTS, args.getConfig<Partial<Config>>());
    const reader = new Reader();
    if (args.type === REMOTE_IMAGE) {
      const name = reader.read("image name", () => text(args.props.name));
      const building = reader.read("build", () => field(args.props, "build") !== undefined);
      if (building === true) {
        if (!config.allowLocalBuilds)
          report(`Image ${args.name} is built on the Docker host. In this environment images are pulled by digest: build and push it, then name it image: registry/name:tag@sha256:<digest>.`);
      } else if (name !== UNKNOWN && name !== undefined) {
        const problem = pinProblem(name, config.requireDigest);
        if (problem) report(`Image ${name} ${problem}. Pin it: registry/name:1.2.3${config.requireDigest ? "@sha256:<digest>" : ""}.`);
      }
      return reader.finish();
    }
    const workload = workloadOf(args.type, args.props);
    if (!workload) return;
    const l = reader.read("labels", () => labels(workload));
    if (l === UNKNOWN) return reader.finish();
    if (config.exceptions.some((e) => matches(e, l))) return;
    // An image unknown during preview is another resource's output (a RemoteImage's id): the stack check
    // below follows it to that resource.
    const ref = new Reader().read("image", () => image(workload));
    if (ref !== UNKNOWN) {
      const problem = ref ? pinProblem(ref, config.requireDigest) : "is not set";
      if (problem) report(`${who(l, args.name)}: its image ${ref ?? ""} ${problem}. Pin it: registry/name:1.2.3${config.requireDigest ? "@sha256:<digest>" : ""}, or the id of a pinned docker.RemoteImage.`);
    }
    reader.finish();
  },
  // During preview a container's image is usually `remoteImage.imageId`, unknown until the pull. It is then
  // as pinned as that RemoteImage, whose `name` (known before apply) the resource check above judges: what
  // runs is what that reference pulls. An image computed from anything else stays "not checked".
  validateStack: (args: StackValidationArgs) => {
    const config = withDefaults(DEFAULTS, args.getConfig<Partial<Config>>());
    const reader = new Reader();
    for (const w of stackWorkloads(args.resources, reader.read.bind(reader))) {
      if (config.exceptions.some((e) => matches(e, w.labels))) continue;
      // The planned output as the engine gave it (an image is never the provider's to pick).
      const raw = rawOf(w.resource.props) as Props;
      if (!isUnknownValue(w.workload.kind === "container" ? raw.image : field(raw, "taskSpec", "containerSpec", "image"))) continue;
      const from = dependenciesOf(w.resource, w.workload.kind === "container" ? "image" : "taskSpec");
      if (from.some((d) => d.type === REMOTE_IMAGE)) continue;
      reader.read(`image of ${w.resource.name}, computed from ${from.map((d) => `${d.type.split(":").pop()} ${d.name}`).join(", ") || "no resource of this stack"}`, () =>
        workloadOf(w.resource.type, w.resource.props) && image(workloadOf(w.resource.type, w.resource.props)!),
      );
    }
    reader.finish();
  },
};
