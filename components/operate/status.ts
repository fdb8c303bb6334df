// `npm run status -- --stack <name>`: each service and replica of a deployed stack, from the Docker engine
// the stack deploys to: container state, health, uptime, restarts, image digest and published route.
// The stack's containers are the ones on its networks (from the stack's outputs); the platform's labels
// (service, component, dev.mcp-platform.replica) say what each one is.
import type Docker from "dockerode";
import { parseArgs } from "util";
import { connectionProblem, dockerClient } from "./docker";
import { OperateError, loadStack, type StackContext } from "./stack";
import { argvProblem, runCli } from "./cli";

export interface WorkloadFacts {
  service: string;
  component: string;
  replica?: number;
  // running, exited, restarting, created… (a container), or a Swarm task's state.
  state: string;
  exitCode?: number;
  // healthy, unhealthy, starting, or undefined without a healthcheck (or on a Swarm task).
  health?: string;
  startedAt?: string;
  restarts: number;
  // The image as the user named it, and the registry digest it resolved to (or the local id of a build).
  image: string;
  digest?: string;
  localId?: string;
  published: string[];
}

export interface StatusRow {
  service: string;
  replica: string;
  state: string;
  health: string;
  uptime: string;
  restarts: string;
  image: string;
  route: string;
  ok: boolean;
}

const COMPONENT_ORDER = ["gateway", "mcp-server", "health-monitor", "neo4j", "data-service", "backup"];

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const short = (digest: string) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, "$1");

function imageCell(f: WorkloadFacts): string {
  if (f.image.includes("@sha256:")) return f.image.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]*/, "@$1");
  if (f.digest) return `${f.image}@${short(f.digest)}`;
  return f.localId ? `${f.image} (local, ${short(f.localId)})` : f.image;
}

function route(ctx: StackContext, f: WorkloadFacts): string {
  if (f.component === "mcp-server") return ctx.outputs.mcpServers[f.service]?.url ?? "-";
  if (f.component === "health-monitor") return ctx.outputs.dashboardUrl ?? "-";
  if (f.component === "gateway") return f.published.length ? f.published.join(", ") : "-";
  return "internal";
}

// Pure: what a user sees, one row per replica, plus a row for each replica the stack declares that the
// engine does not have.
export function statusRows(ctx: StackContext, facts: WorkloadFacts[], now: number = Date.now()): StatusRow[] {
  const sorted = [...facts].sort(
    (a, b) =>
      rank(a.component) - rank(b.component) || a.service.localeCompare(b.service) || (a.replica ?? 0) - (b.replica ?? 0),
  );
  const rows: StatusRow[] = sorted.map((f) => {
    const running = f.state === "running";
    const ok = running && (f.health === undefined || f.health === "healthy");
    return {
      service: f.service,
      replica: f.replica !== undefined ? String(f.replica) : "-",
      state: running || f.exitCode === undefined ? f.state : `${f.state} (${f.exitCode})`,
      health: f.health ?? "-",
      uptime: running && f.startedAt ? formatDuration(now - Date.parse(f.startedAt)) : "-",
      restarts: String(f.restarts),
      image: imageCell(f),
      route: route(ctx, f),
      ok,
    };
  });
  for (const [name, s] of Object.entries(ctx.outputs.mcpServers)) {
    const want = typeof s.replicas === "number" ? s.replicas : 0;
    const have = new Set(facts.filter((f) => f.service === name && f.component === "mcp-server").map((f) => f.replica));
    for (let i = 1; i <= want; i++)
      if (!have.has(i))
        rows.push({ service: name, replica: String(i), state: "missing", health: "-", uptime: "-", restarts: "-", image: "-", route: s.url ?? "-", ok: false });
  }
  return rows;
}

const rank = (component: string) => {
  const i = COMPONENT_ORDER.indexOf(component);
  return i < 0 ? COMPONENT_ORDER.length : i;
};

export function formatStatus(rows: StatusRow[]): string {
  const table = [
    ["service", "replica", "state", "health", "uptime", "restarts", "image", "route"],
    ...rows.map((r) => [r.service, r.replica, r.state, r.health, r.uptime, r.restarts, r.image, r.route]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

// Host mode: the containers on the stack's networks.
export async function containerFacts(docker: Docker, ctx: StackContext): Promise<WorkloadFacts[]> {
  const { frontend, backend } = ctx.outputs.networks;
  const listed = await docker.listContainers({ all: true, filters: { network: [frontend, backend] } });
  const images = new Map<string, Promise<Docker.ImageInspectInfo | undefined>>();
  const imageOf = (id: string) => {
    if (!images.has(id)) images.set(id, docker.getImage(id).inspect().catch(() => undefined));
    return images.get(id)!;
  };
  const facts = await Promise.all(
    listed.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      const labels = info.Config.Labels ?? {};
      const image = await imageOf(info.Image);
      const named = info.Config.Image.startsWith("sha256:") ? (image?.RepoTags?.[0] ?? image?.RepoDigests?.[0]?.split("@")[0] ?? info.Config.Image) : info.Config.Image;
      const repo = named.replace(/@sha256:.*$/, "").replace(/:[^:/]+$/, "");
      const digest = image?.RepoDigests?.find((d) => d.startsWith(`${repo}@`))?.split("@")[1];
      const published = Object.entries(info.NetworkSettings?.Ports ?? {}).flatMap(([, bindings]) =>
        (bindings ?? []).map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort}`),
      );
      return {
        service: labels.service ?? info.Name.replace(/^\//, ""),
        component: labels.component ?? "unknown",
        replica: labels["dev.mcp-platform.replica"] ? Number(labels["dev.mcp-platform.replica"]) : undefined,
        state: info.State.Status,
        exitCode: info.State.Status === "exited" ? info.State.ExitCode : undefined,
        health: info.State.Health?.Status,
        startedAt: info.State.StartedAt,
        restarts: info.RestartCount ?? 0,
        image: named,
        digest,
        localId: info.Image,
        published: [...new Set(published)].sort(),
      } satisfies WorkloadFacts;
    }),
  );
  return facts;
}

// Swarm mode: the services attached to the stack's networks, one row per running task.
export async function serviceFacts(docker: Docker, ctx: StackContext): Promise<WorkloadFacts[]> {
  const networkIds = new Set<string>();
  for (const name of [ctx.outputs.networks.frontend, ctx.outputs.networks.backend]) {
    const n = (await docker.getNetwork(name).inspect().catch(() => undefined)) as { Id?: string } | undefined;
    if (n?.Id) networkIds.add(n.Id);
  }
  const services = (await docker.listServices()).filter((s) =>
    (s.Spec?.TaskTemplate as { Networks?: { Target?: string }[] } | undefined)?.Networks?.some((n) => n.Target && networkIds.has(n.Target)),
  );
  const out: WorkloadFacts[] = [];
  for (const s of services) {
    const labels = (s.Spec?.Labels ?? {}) as Record<string, string>;
    const tasks = (await docker.listTasks({ filters: { service: [s.ID] } })) as {
      Status?: { State?: string; Timestamp?: string; ContainerStatus?: { ExitCode?: number } };
      DesiredState?: string;
    }[];
    const current = tasks.filter((t) => t.DesiredState === "running");
    const image = ((s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image ?? "-") as string;
    const ports = ((s.Endpoint as { Ports?: { PublishedPort?: number }[] } | undefined)?.Ports ?? []).map((p) => `*:${p.PublishedPort}`);
    const restarts = tasks.length - current.length;
    for (const t of current.length ? current : [{ Status: { State: "no task" } }])
      out.push({
        service: labels.service ?? s.Spec?.Name ?? s.ID,
        component: labels.component ?? "unknown",
        replica: labels["dev.mcp-platform.replica"] ? Number(labels["dev.mcp-platform.replica"]) : undefined,
        state: t.Status?.State ?? "unknown",
        startedAt: t.Status?.State === "running" ? t.Status.Timestamp : undefined,
        restarts,
        image,
        published: ports,
      });
  }
  return out;
}

export const USAGE = `Shows each service and replica of a deployed stack: state, health, uptime, restarts, image digest
and route, read from the Docker engine the stack deploys to (its dockerHost).

usage: npm run status -- --stack <name> [--docker-host <url>] [--outputs-file <outputs.json>] [--json]

options:
  --stack <name>          the Pulumi stack (dev, prod, ...)
  --docker-host <url>     the engine to ask, instead of the stack's dockerHost
  --outputs-file <file>   the stack's outputs (pulumi stack output --json), instead of asking Pulumi
  --json                  print the rows as JSON
  -h, --help              this text

exit code: 0 every replica is running and healthy, 1 one is not, 2 the status could not be read`;

export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  projectDir: string = process.cwd(),
): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        stack: { type: "string" },
        "docker-host": { type: "string" },
        "outputs-file": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    err(`status: ${argvProblem(e)}\nrun with --help for usage`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (!values.stack) {
    err("status: --stack <name> is required (e.g. npm run status -- --stack dev)\nrun with --help for usage");
    return 2;
  }
  let ctx: StackContext;
  let facts: WorkloadFacts[];
  try {
    ctx = loadStack({ stack: values.stack, outputsFile: values["outputs-file"], dockerHost: values["docker-host"], projectDir });
  } catch (e) {
    err(`status: ${(e as Error).message}`);
    return 2;
  }
  try {
    const docker = dockerClient(ctx.dockerHost);
    facts = ctx.mode === "swarm" ? await serviceFacts(docker, ctx) : await containerFacts(docker, ctx);
  } catch (e) {
    err(`status: ${e instanceof OperateError ? e.message : connectionProblem(ctx.dockerHost, e)}`);
    return 2;
  }
  const rows = statusRows(ctx, facts);
  if (values.json) out(JSON.stringify(rows, null, 2));
  else {
    out(`stack ${ctx.stack} on ${ctx.dockerHost} (${ctx.mode} mode)\n`);
    out(rows.length ? formatStatus(rows) : "no containers: the stack's networks have none (deployed to another engine?)");
  }
  const bad = rows.filter((r) => !r.ok);
  if (!values.json) out(`\n${rows.length - bad.length} of ${rows.length} running and healthy${bad.length ? `; not: ${bad.map((r) => (r.replica === "-" ? r.service : `${r.service}-${r.replica}`)).join(", ")}` : ""}`);
  return rows.length && !bad.length ? 0 : 1;
}

if (require.main === module) runCli((argv) => main(argv));
