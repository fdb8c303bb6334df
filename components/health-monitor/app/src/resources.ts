// Memory and CPU of each container, read from the kernel's cgroup files of the host, mounted read-only
// into the monitor: no Docker socket and no Docker API, only counters (see docs/health-monitor.md for why
// this and not a socket proxy). cgroup v2 (unified) and v1 layouts, with Docker's cgroupfs and systemd
// drivers; a container's directory is found by its id.
import * as fs from "fs";
import * as path from "path";
import type { ResourceSample } from "./thresholds";

export interface CgroupSample {
  // ms since the epoch
  at: number;
  // Memory in use as `docker stats` counts it: usage less inactive file cache.
  memoryBytes: number;
  memoryLimitBytes?: number;
  // Total CPU time used, in microseconds (absent when the cpu accounting files are not there).
  cpuUsec?: number;
  // CPU quota in cores (cpus), when one is set.
  cpuLimit?: number;
}

interface Located {
  version: 1 | 2;
  memory: string;
  cpu: string;
  cpuacct: string;
}

const read = (f: string) => fs.readFileSync(f, "utf8").trim();
const exists = (f: string) => fs.existsSync(f);
// cgroup v1 reports "no limit" as a page-rounded huge number.
const NO_LIMIT_V1 = 2 ** 60;

function statField(file: string, key: string): number | undefined {
  for (const line of read(file).split("\n")) {
    const [k, v] = line.split(/\s+/);
    if (k === key) return Number(v);
  }
  return undefined;
}

// A directory whose name holds the id, at most `depth` levels below `dir`.
function search(dir: string, id: string, depth: number): string | undefined {
  if (depth < 0) return undefined;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.isDirectory() && e.name.includes(id)) return path.join(dir, e.name);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const found = search(path.join(dir, e.name), id, depth - 1);
    if (found) return found;
  }
  return undefined;
}

export class CgroupReader {
  private readonly located = new Map<string, Located>();

  constructor(private readonly root: string) {}

  version(): 1 | 2 | undefined {
    if (exists(path.join(this.root, "cgroup.controllers"))) return 2;
    if (exists(path.join(this.root, "memory"))) return 1;
    return undefined;
  }

  locate(id: string): Located | undefined {
    const cached = this.located.get(id);
    if (cached && exists(cached.memory)) return cached;
    const v = this.version();
    const candidates = [`docker/${id}`, `system.slice/docker-${id}.scope`];
    let found: Located | undefined;
    if (v === 2) {
      const dir = candidates.map((c) => path.join(this.root, c)).find(exists) ?? search(this.root, id, 4);
      if (dir) found = { version: 2, memory: dir, cpu: dir, cpuacct: dir };
    } else if (v === 1) {
      const memRoot = path.join(this.root, "memory");
      const dir = candidates.map((c) => path.join(memRoot, c)).find(exists) ?? search(memRoot, id, 4);
      if (dir) {
        const rel = path.relative(memRoot, dir);
        const controller = (...names: string[]) => names.map((n) => path.join(this.root, n, rel)).find(exists) ?? path.join(this.root, names[0]!, rel);
        found = { version: 1, memory: dir, cpu: controller("cpu", "cpu,cpuacct"), cpuacct: controller("cpuacct", "cpu,cpuacct") };
      }
    }
    if (found) this.located.set(id, found);
    return found;
  }

  // Throws when the container's cgroup is not found or unreadable.
  sample(id: string, now: number = Date.now()): CgroupSample {
    const at = this.locate(id);
    if (!at) throw new Error(`no cgroup for container ${id.slice(0, 12)} under ${this.root}`);
    if (at.version === 2) {
      const current = Number(read(path.join(at.memory, "memory.current")));
      const inactive = statField(path.join(at.memory, "memory.stat"), "inactive_file") ?? 0;
      const max = read(path.join(at.memory, "memory.max"));
      const cpuMax = path.join(at.cpu, "cpu.max");
      const [quota, period] = exists(cpuMax) ? read(cpuMax).split(/\s+/) : ["max"];
      return {
        at: now,
        memoryBytes: Math.max(0, current - inactive),
        memoryLimitBytes: max === "max" ? undefined : Number(max),
        cpuUsec: exists(path.join(at.cpu, "cpu.stat")) ? statField(path.join(at.cpu, "cpu.stat"), "usage_usec") : undefined,
        cpuLimit: quota === "max" || !period ? undefined : Number(quota) / Number(period),
      };
    }
    const usage = Number(read(path.join(at.memory, "memory.usage_in_bytes")));
    const inactive = statField(path.join(at.memory, "memory.stat"), "total_inactive_file") ?? 0;
    const limit = Number(read(path.join(at.memory, "memory.limit_in_bytes")));
    const quota = exists(path.join(at.cpu, "cpu.cfs_quota_us")) ? Number(read(path.join(at.cpu, "cpu.cfs_quota_us"))) : -1;
    const period = exists(path.join(at.cpu, "cpu.cfs_period_us")) ? Number(read(path.join(at.cpu, "cpu.cfs_period_us"))) : 0;
    return {
      at: now,
      memoryBytes: Math.max(0, usage - inactive),
      memoryLimitBytes: limit >= NO_LIMIT_V1 ? undefined : limit,
      cpuUsec: exists(path.join(at.cpuacct, "cpuacct.usage")) ? Number(read(path.join(at.cpuacct, "cpuacct.usage"))) / 1000 : undefined,
      cpuLimit: quota > 0 && period > 0 ? quota / period : undefined,
    };
  }
}

// Ratios to the limits: memory now, CPU over the time since the previous sample. A container without a
// limit has no ratio (the platform sets limits on every container).
export function resourceRatios(prev: CgroupSample | undefined, cur: CgroupSample): ResourceSample {
  const out: ResourceSample = {};
  if (cur.memoryLimitBytes) out.memoryRatio = cur.memoryBytes / cur.memoryLimitBytes;
  if (prev?.cpuUsec !== undefined && cur.cpuUsec !== undefined && cur.cpuLimit && cur.at > prev.at && cur.cpuUsec >= prev.cpuUsec)
    out.cpuRatio = (cur.cpuUsec - prev.cpuUsec) / ((cur.at - prev.at) * 1000 * cur.cpuLimit);
  return out;
}
