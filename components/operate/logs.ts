// `npm run logs -- --stack <name> <service> [--follow]`: the logs of every replica of one service, from
// the Docker engine the stack deploys to, each line prefixed with its replica when there are several.
import type Docker from "dockerode";
import { Readable, Writable } from "stream";
import { parseArgs } from "util";
import { connectionProblem, dockerClient } from "./docker";
import { OperateError, loadStack, type StackContext } from "./stack";
import { argvProblem, runCli } from "./cli";

export interface LogSource {
  // What prefixes its lines: gmail-1, gmail-2, or the service name alone.
  label: string;
  open: (opts: LogOptions) => Promise<NodeJS.ReadableStream | Buffer>;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  since?: number;
  timestamps: boolean;
}

// "10m", "2h", "90s", "1d" or an ISO date, as a Unix time in seconds.
export function parseSince(value: string, now: number = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (m) return Math.floor(now / 1000) - Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new OperateError(`--since must be a duration such as 10m, 2h, 1d or a date such as 2026-12-01T08:00:00Z (got "${value}")`);
  return Math.floor(t / 1000);
}

// A writable that prefixes every complete line; the rest waits for its newline (or the end).
export function prefixedLines(prefix: string, write: (s: string) => void): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) write(`${prefix}${line}\n`);
      done();
    },
    final(done) {
      if (pending) write(`${prefix}${pending}\n`);
      done();
    },
  });
}

export async function containerSources(docker: Docker, ctx: StackContext, service: string): Promise<{ sources: LogSource[]; known: string[] }> {
  const { frontend, backend } = ctx.outputs.networks;
  const all = await docker.listContainers({ all: true, filters: { network: [frontend, backend] } });
  const known = [...new Set(all.map((c) => c.Labels?.service).filter((s): s is string => Boolean(s)))].sort();
  const mine = all
    .filter((c) => c.Labels?.service === service)
    .sort((a, b) => Number(a.Labels?.["dev.mcp-platform.replica"] ?? 0) - Number(b.Labels?.["dev.mcp-platform.replica"] ?? 0));
  const sources = mine.map((c) => {
    const replica = c.Labels?.["dev.mcp-platform.replica"];
    return {
      label: replica ? `${service}-${replica}` : service,
      open: (o: LogOptions) =>
        docker.getContainer(c.Id).logs({ stdout: true, stderr: true, follow: o.follow as true, tail: o.tail, since: o.since, timestamps: o.timestamps }) as Promise<
          NodeJS.ReadableStream | Buffer
        >,
    };
  });
  return { sources, known };
}

export async function serviceSources(docker: Docker, ctx: StackContext, service: string): Promise<{ sources: LogSource[]; known: string[] }> {
  const ids = new Set<string>();
  for (const name of [ctx.outputs.networks.frontend, ctx.outputs.networks.backend]) {
    const n = (await docker.getNetwork(name).inspect().catch(() => undefined)) as { Id?: string } | undefined;
    if (n?.Id) ids.add(n.Id);
  }
  const services = (await docker.listServices()).filter((s) =>
    (s.Spec?.TaskTemplate as { Networks?: { Target?: string }[] } | undefined)?.Networks?.some((n) => n.Target && ids.has(n.Target)),
  );
  const label = (s: (typeof services)[number]) => (s.Spec?.Labels ?? {}) as Record<string, string>;
  const known = [...new Set(services.map((s) => label(s).service).filter((s): s is string => Boolean(s)))].sort();
  const sources = services
    .filter((s) => label(s).service === service)
    .map((s) => {
      const replica = label(s)["dev.mcp-platform.replica"];
      return {
        label: replica ? `${service}-${replica}` : service,
        open: (o: LogOptions) =>
          docker.getService(s.ID).logs({ stdout: true, stderr: true, follow: o.follow, tail: o.tail, since: o.since, timestamps: o.timestamps }) as unknown as Promise<
            NodeJS.ReadableStream | Buffer
          >,
      };
    });
  return { sources, known };
}

// Streams every source's stdout and stderr, demultiplexed by the client library, to out and err.
export async function streamLogs(
  docker: Docker,
  sources: LogSource[],
  opts: LogOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<void> {
  const width = Math.max(...sources.map((s) => s.label.length));
  await Promise.all(
    sources.map(async (source) => {
      const prefix = sources.length > 1 ? `${source.label.padEnd(width)} | ` : "";
      const raw = await source.open(opts);
      const stream = Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
      const stdout = prefixedLines(prefix, out);
      const stderr = prefixedLines(prefix, err);
      docker.modem.demuxStream(stream, stdout, stderr);
      await new Promise<void>((resolve, reject) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
      });
      await Promise.all([new Promise<void>((r) => stdout.end(r)), new Promise<void>((r) => stderr.end(r))]);
    }),
  );
}

export const USAGE = `Prints the logs of one service of a deployed stack (every replica, each line prefixed with its replica),
read from the Docker engine the stack deploys to (its dockerHost).

usage: npm run logs -- --stack <name> <service> [--follow] [--tail <lines>] [--since <10m|2h|date>] [--timestamps]

options:
  --stack <name>          the Pulumi stack (dev, prod, ...)
  -f, --follow            keep printing new lines until interrupted (Ctrl-C)
  --tail <lines>          only the last lines of each replica (default 200; "all" for everything)
  --since <when>          only lines since a duration ago (10m, 2h, 1d) or a date
  --timestamps            prefix each line with Docker's timestamp
  --docker-host <url>     the engine to ask, instead of the stack's dockerHost
  --outputs-file <file>   the stack's outputs (pulumi stack output --json), instead of asking Pulumi
  -h, --help              this text`;

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
  projectDir: string = process.cwd(),
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        follow: { type: "boolean", short: "f" },
        tail: { type: "string" },
        since: { type: "string" },
        timestamps: { type: "boolean" },
        "docker-host": { type: "string" },
        "outputs-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    err(`logs: ${argvProblem(e)}\nrun with --help for usage\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const usage = (m: string) => {
    err(`logs: ${m}\nrun with --help for usage\n`);
    return 2;
  };
  if (!v.stack) return usage("--stack <name> is required (e.g. npm run logs -- --stack dev gmail)");
  if (parsed.positionals.length !== 1) return usage("name one service, e.g. npm run logs -- --stack dev gmail");
  const service = parsed.positionals[0]!;
  let opts: LogOptions;
  try {
    const tail = v.tail === undefined ? 200 : v.tail === "all" ? undefined : Number(v.tail);
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) return usage(`--tail must be a number of lines or "all" (got "${v.tail}")`);
    opts = { follow: Boolean(v.follow), tail, since: v.since ? parseSince(v.since) : undefined, timestamps: Boolean(v.timestamps) };
  } catch (e) {
    return usage((e as Error).message);
  }
  let ctx: StackContext;
  try {
    ctx = loadStack({ stack: v.stack, outputsFile: v["outputs-file"], dockerHost: v["docker-host"], projectDir });
  } catch (e) {
    err(`logs: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const docker = dockerClient(ctx.dockerHost);
    const { sources, known } = ctx.mode === "swarm" ? await serviceSources(docker, ctx, service) : await containerSources(docker, ctx, service);
    if (sources.length === 0) {
      err(`logs: stack ${ctx.stack} has no service ${service} on ${ctx.dockerHost}${known.length ? `; its services: ${known.join(", ")}` : " (no containers on its networks)"}\n`);
      return 2;
    }
    await streamLogs(docker, sources, opts, out, err);
    return 0;
  } catch (e) {
    err(`logs: ${e instanceof OperateError ? e.message : connectionProblem(ctx.dockerHost, e)}\n`);
    return 2;
  }
}

if (require.main === module) runCli((argv) => main(argv));
