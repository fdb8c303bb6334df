import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CgroupReader, resourceRatios } from "../../../../components/health-monitor/app/src/resources";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgroup-"));
  dirs.push(root);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), `${content}\n`);
  }
  return root;
}
const id = "3f1a".padEnd(64, "0");
const MB = 1024 * 1024;

describe("memory and CPU from the host's cgroup files", () => {
  it("reads cgroup v2 with the systemd driver: usage less inactive file cache, the limit, the CPU quota", () => {
    const scope = `system.slice/docker-${id}.scope`;
    const root = tree({
      "cgroup.controllers": "cpu memory",
      [`${scope}/memory.current`]: String(200 * MB),
      [`${scope}/memory.stat`]: `anon 1000\ninactive_file ${20 * MB}\nactive_file 5`,
      [`${scope}/memory.max`]: String(256 * MB),
      [`${scope}/cpu.stat`]: "usage_usec 5000000\nuser_usec 1",
      [`${scope}/cpu.max`]: "50000 100000",
    });
    const s = new CgroupReader(root).sample(id, 1000);
    expect(s).toEqual({ at: 1000, memoryBytes: 180 * MB, memoryLimitBytes: 256 * MB, cpuUsec: 5_000_000, cpuLimit: 0.5 });
  });

  it("reads cgroup v1 with the cgroupfs driver, where cpu and cpuacct share a directory", () => {
    const root = tree({
      [`memory/docker/${id}/memory.usage_in_bytes`]: String(100 * MB),
      [`memory/docker/${id}/memory.stat`]: `cache 1\ntotal_inactive_file ${10 * MB}`,
      [`memory/docker/${id}/memory.limit_in_bytes`]: String(128 * MB),
      [`cpu,cpuacct/docker/${id}/cpuacct.usage`]: "3000000000",
      [`cpu,cpuacct/docker/${id}/cpu.cfs_quota_us`]: "25000",
      [`cpu,cpuacct/docker/${id}/cpu.cfs_period_us`]: "100000",
    });
    expect(new CgroupReader(root).sample(id, 5)).toEqual({ at: 5, memoryBytes: 90 * MB, memoryLimitBytes: 128 * MB, cpuUsec: 3_000_000, cpuLimit: 0.25 });
  });

  it("finds a container under another cgroup parent by its id, and reports no limit as none", () => {
    const dir = `engines/e2e/docker/${id}`;
    const root = tree({
      "cgroup.controllers": "cpu memory",
      [`${dir}/memory.current`]: "100",
      [`${dir}/memory.stat`]: "inactive_file 0",
      [`${dir}/memory.max`]: "max",
      [`${dir}/cpu.stat`]: "usage_usec 7",
      [`${dir}/cpu.max`]: "max 100000",
    });
    expect(new CgroupReader(root).sample(id, 1)).toEqual({ at: 1, memoryBytes: 100, memoryLimitBytes: undefined, cpuUsec: 7, cpuLimit: undefined });
  });

  it("says which container it cannot find", () => {
    const root = tree({ "cgroup.controllers": "cpu memory" });
    expect(() => new CgroupReader(root).sample(id)).toThrow(`no cgroup for container ${id.slice(0, 12)} under ${root}`);
  });

  it("turns two samples into ratios of the limits", () => {
    const a = { at: 0, memoryBytes: 100, memoryLimitBytes: 200, cpuUsec: 0, cpuLimit: 0.5 };
    const b = { at: 10_000, memoryBytes: 190, memoryLimitBytes: 200, cpuUsec: 4_500_000, cpuLimit: 0.5 };
    // 4.5 s of CPU in 10 s under a 0.5-core quota: 90% of what the quota allows.
    expect(resourceRatios(a, b)).toEqual({ memoryRatio: 0.95, cpuRatio: 0.9 });
    expect(resourceRatios(undefined, b)).toEqual({ memoryRatio: 0.95 });
  });

  it("reads this machine's real cgroup files for this test process's own memory cgroup", () => {
    // The kernel's own files, not a copy: this process's memory cgroup, found from /proc/self/cgroup.
    const lines = fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
    const v1 = lines.find((l) => l.split(":")[1] === "memory");
    const v2 = lines.find((l) => l.startsWith("0::"));
    const root = "/sys/fs/cgroup";
    const reader = new CgroupReader(root);
    const rel = (v1 ?? v2)!.split(":")[2]!;
    const name = path.basename(rel);
    if (!name || rel === "/") return void expect(reader.version()).toBeDefined();
    const s = reader.sample(name);
    expect(s.memoryBytes).toBeGreaterThan(0);
    // Where cpuacct is nested like memory (a container), its usage is read too; here it may sit at the root.
    if (s.cpuUsec !== undefined) expect(s.cpuUsec).toBeGreaterThan(0);
  });
});
