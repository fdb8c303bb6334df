// The rules against real traffic: three network namespaces stand in for a client on the internet, the
// Docker host (eth0 outside, docker0 to the containers, DNAT for the published ports, FORWARD through
// DOCKER-USER as Docker sets it up) and a container listening on its own ports.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { firewallCommand, firewallPlan, type FirewallPlan } from "../../../components/firewall/rules";
import { hasTool as has, skipOrFail } from "../../harness/tools";

const id = process.pid % 100000;
const NS = { client: `fwc-${id}`, host: `fwh-${id}`, ctr: `fwk-${id}` };
const CLIENT_IP = "198.51.100.2";
const HOST_IP = "198.51.100.1";
const CTR_IP = "172.31.0.2";
const listeners: ChildProcess[] = [];

const isRoot = process.getuid?.() === 0;
const mustRun = Boolean(process.env.CI) && isRoot && has("iptables");

function sh(ns: string, script: string): string {
  const r = spawnSync("ip", ["netns", "exec", ns, "sh", "-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${ns}: ${script}\n${r.stderr}`);
  return r.stdout;
}

function setUp(): string | undefined {
  if (!isRoot) return "not root: network namespaces need root";
  for (const tool of ["ip", "iptables", "timeout", "bash"]) if (!has(tool)) return `${tool} is not installed`;
  for (const ns of Object.values(NS)) {
    const r = spawnSync("ip", ["netns", "add", ns], { encoding: "utf8" });
    if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  }
  const run = (...args: string[]) => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  };
  run("link", "add", `c${id}`, "netns", NS.client, "type", "veth", "peer", "name", `h${id}`, "netns", NS.host);
  run("link", "add", `k${id}`, "netns", NS.ctr, "type", "veth", "peer", "name", `b${id}`, "netns", NS.host);
  sh(NS.client, `ip link set c${id} name eth0 && ip addr add ${CLIENT_IP}/24 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via ${HOST_IP}`);
  sh(NS.ctr, `ip link set k${id} name eth0 && ip addr add ${CTR_IP}/24 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via 172.31.0.1`);
  sh(
    NS.host,
    [
      `ip link set h${id} name eth0 && ip addr add ${HOST_IP}/24 dev eth0 && ip link set eth0 up`,
      `ip link set b${id} name docker0 && ip addr add 172.31.0.1/24 dev docker0 && ip link set docker0 up && ip link set lo up`,
      "sysctl -qw net.ipv4.ip_forward=1",
      // As Docker does: published ports DNAT to the container; FORWARD passes through DOCKER-USER first.
      `iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination ${CTR_IP}:80`,
      `iptables -t nat -A PREROUTING -p tcp --dport 9090 -j DNAT --to-destination ${CTR_IP}:81`,
      "iptables -N DOCKER-USER && iptables -A FORWARD -j DOCKER-USER",
    ].join(" && "),
  );
  // The container answers on 80 and 81; the client runs a server the container calls out to.
  const serve = (ns: string, ports: number[]) => {
    const code = `for (const p of ${JSON.stringify(ports)}) require("net").createServer((s) => s.end("hello from " + p + "\\n")).listen(p, "0.0.0.0");`;
    listeners.push(spawn("ip", ["netns", "exec", ns, process.execPath, "-e", code], { stdio: "ignore" }));
  };
  serve(NS.ctr, [80, 81]);
  serve(NS.client, [7000]);
  return undefined;
}

// A TCP connection with a bound on time: the text the server sent, or "" when nothing got through.
function connect(ns: string, ip: string, port: number): string {
  const r = spawnSync("ip", ["netns", "exec", ns, "timeout", "2", "bash", "-c", `exec 3<>/dev/tcp/${ip}/${port} && head -n1 <&3`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

let problem: string | undefined;
beforeAll(async () => {
  problem = setUp();
  if (problem) return;
  // Wait (bounded) for the listeners to come up.
  for (let i = 0; i < 50 && connect(NS.host, CTR_IP, 81) === ""; i++) await new Promise((r) => setTimeout(r, 100));
});

afterAll(() => {
  for (const l of listeners) l.kill();
  for (const ns of Object.values(NS)) spawnSync("ip", ["netns", "delete", ns]);
});

const apply = (plan: FirewallPlan, action: "apply" | "remove" = "apply") => sh(NS.host, firewallCommand(plan, action));
// A host that publishes one port, 8080 (gmail), and nothing else.
const onlyGmail = (firewall: Record<string, unknown> = {}, publishAddress = "0.0.0.0") =>
  firewallPlan(
    platformSchema.parse({ publishAddress, services: { graphiti: { enabled: false }, rag: { enabled: false } }, healthMonitor: { enabled: false }, firewall }),
    "prod",
  );

describe("the rules against real traffic through a DNAT, as Docker forwards it", () => {
  it("let the allowlisted published port through, drop another forwarded port, keep the containers' own connections working, and undo cleanly", (ctx) => {
    skipOrFail(ctx, problem, mustRun);

    // Without rules both forwarded ports answer: the situation ufw users are surprised by.
    expect(connect(NS.client, HOST_IP, 8080)).toBe("hello from 80");
    expect(connect(NS.client, HOST_IP, 9090)).toBe("hello from 81");

    apply(onlyGmail());
    expect(connect(NS.client, HOST_IP, 8080)).toBe("hello from 80");
    expect(connect(NS.client, HOST_IP, 9090)).toBe("");
    // A container calling out still gets its replies (they arrive on eth0 as ESTABLISHED).
    expect(connect(NS.ctr, CLIENT_IP, 7000)).toBe("hello from 7000");

    apply(onlyGmail({ portSources: { "8080": ["203.0.113.0/24"] } }));
    expect(connect(NS.client, HOST_IP, 8080)).toBe("");
    apply(onlyGmail({ portSources: { "8080": ["198.51.100.0/24"] } }));
    expect(connect(NS.client, HOST_IP, 8080)).toBe("hello from 80");

    // Ports bound to one address: only traffic for that address is allowed.
    apply(onlyGmail({}, "192.0.2.10"));
    expect(connect(NS.client, HOST_IP, 8080)).toBe("");
    apply(onlyGmail({}, HOST_IP));
    expect(connect(NS.client, HOST_IP, 8080)).toBe("hello from 80");

    apply(onlyGmail(), "remove");
    expect(connect(NS.client, HOST_IP, 9090)).toBe("hello from 81");
  });
});
