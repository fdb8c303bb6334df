// A three-node Docker Swarm for the end-to-end suite: the run's engine (in the run's network namespace)
// is the manager; two more engines, each in a network namespace of its own linked to the manager's by a
// bridge there, join as workers. Started with nsenter --net (engine.sh): `ip netns exec` would remount
// /sys and hide the cgroups. Every node reaches the suite's registry as 127.0.0.1:5000 (a forwarder in
// each namespace) and uses it as its Docker Hub mirror, so an image reference means the same image on
// every node. One worker is labelled the state node; the manager is drained (it runs no task).
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cleanEngine, engine, engineStateDir, startEngine, stopEngine, type Engine } from "./engine";
import { REGISTRY } from "./registry";
import { run, waitFor } from "./run";
import { RUN, RUN_DIR } from "./toolchain";

// The nodes' network, inside the run's namespace: the manager's end of the bridge and one address per worker.
const BRIDGE = "swbr0";
const SUBNET = "10.97.0";
export const MANAGER_IP = `${SUBNET}.1`;

export interface SwarmNode {
  // Engine (and, for workers, network namespace) name.
  name: string;
  ip: string;
  role: "manager" | "worker";
  engine: Engine;
  // Swarm node id.
  id: string;
}

export interface Swarm {
  manager: SwarmNode;
  nodes: SwarmNode[];
  stateNode: SwarmNode;
  stateLabel: string;
  // Stop (SIGTERM, as a host shutting down) or start a node's engine; a worker rejoins by itself.
  stopNode(node: SwarmNode): Promise<void>;
  startNode(node: SwarmNode): Promise<void>;
  // Every node's Swarm view from the manager: hostname-independent, by node id.
  nodeStates(): Promise<Record<string, { state: string; availability: string }>>;
  teardown(): Promise<void>;
}

const sh = (cmd: string) => run("sh", ["-c", cmd]);
const FORWARD_RULE = (op: "-C" | "-I" | "-D") => `iptables ${op} FORWARD ${op === "-I" ? "1 " : ""}-i ${BRIDGE} -o ${BRIDGE} -j ACCEPT -m comment --comment mcp-e2e-swarm`;
// A TCP forwarder (node -e: one process, so that its pid is the one to stop): LISTEN_HOST PORT TARGET_HOST PORT.
const FORWARD_JS = [
  "const net = require('net');",
  "const [lh, lp, th, tp] = process.argv.slice(1);",
  "net.createServer((c) => { const u = net.connect(Number(tp), th); c.pipe(u).pipe(c);",
  "  c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })",
  "  .listen(Number(lp), lh, () => process.stdout.write('listening\\n'));",
].join("\n");
// The forwarders' pids, so that a run stops those an interrupted run left behind.
const PIDS = path.join(RUN_DIR, "swarm-forwarders.pids");

function stopForwarders(): void {
  if (!fs.existsSync(PIDS)) return;
  for (const pid of fs.readFileSync(PIDS, "utf8").split("\n").filter(Boolean).map(Number)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  fs.rmSync(PIDS);
}

// A forwarder, in the current namespace or in `netns`; resolves once it listens.
async function forwarder(listen: string, target: string, netns?: string): Promise<ChildProcess> {
  const [lh, lp] = listen.split(":");
  const [th, tp] = target.split(":");
  const node = [process.execPath, "-e", FORWARD_JS, lh!, lp!, th!, tp!];
  // nsenter execs node in place: the pid is node's.
  const cmd = netns ? ["nsenter", `--net=/var/run/netns/${netns}`, ...node] : node;
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  fs.mkdirSync(RUN_DIR, { recursive: true });
  fs.appendFileSync(PIDS, `${child.pid}\n`);
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`forwarder ${listen} -> ${target} exited ${code}: ${err}`)));
  });
  return child;
}

// The worker's namespace, linked to the bridge in the run's namespace (recreated: nothing from a past run).
async function linkWorker(name: string, ip: string): Promise<void> {
  const veth = `swv-${name}`.slice(0, 15);
  await sh(`ip netns del ${name} 2>/dev/null; ip link del ${veth} 2>/dev/null; true`);
  await sh(`ip netns add ${name} && ip -n ${name} link set lo up`);
  await sh(`ip link add ${veth} type veth peer name eth0 netns ${name}`);
  await sh(`ip link set ${veth} master ${BRIDGE} up && ip -n ${name} addr add ${ip}/24 dev eth0 && ip -n ${name} link set eth0 up`);
}

async function swarmReset(e: Engine): Promise<void> {
  await e.docker(["swarm", "leave", "--force"], { allowFail: true, timeoutMs: 60_000 });
}

async function nodeId(e: Engine): Promise<string> {
  return (await e.docker(["info", "--format", "{{.Swarm.NodeID}}"])).stdout.trim();
}

// Starts the Swarm: `manager` is the run's engine (already started by the suite's setup, with the registry
// as its mirror); `workers` are the engine names of the two others (also their namespaces' names).
export async function startSwarm(manager: Engine, workers: string[], stateLabel = "mcp-platform.state"): Promise<Swarm> {
  const children: ChildProcess[] = [];
  stopForwarders();
  await sh(`ip link del ${BRIDGE} 2>/dev/null; ip link add ${BRIDGE} type bridge && ip addr add ${MANAGER_IP}/24 dev ${BRIDGE} && ip link set ${BRIDGE} up`);
  // Frames between the workers cross the bridge in the manager's namespace, whose iptables the manager's
  // engine manages (br_netfilter): accepted explicitly, whatever FORWARD's policy becomes. (A precaution:
  // the "No route to host" seen between nodes persisted with it; FORWARD's policy was ACCEPT there.)
  await sh(`${FORWARD_RULE("-C")} 2>/dev/null || ${FORWARD_RULE("-I")}`);
  // The registry on loopback, offered to the workers on the manager's bridge address.
  children.push(await forwarder(`${MANAGER_IP}:5000`, REGISTRY));
  const startWorker = async (name: string, ip: string) => {
    const e = await startEngine(name, { netns: name, registryMirror: `http://${REGISTRY}` });
    return { e, ip };
  };
  const workerEngines: { name: string; ip: string; e: Engine }[] = [];
  for (const [i, name] of workers.entries()) {
    const ip = `${SUBNET}.${i + 2}`;
    await stopEngine(name);
    // A fresh node: no Swarm state from an earlier run (a worker restarted with it keeps trying to rejoin
    // its old Swarm, and `swarm leave` may not get it out in time).
    fs.rmSync(path.join(engineStateDir(name), "data/swarm"), { recursive: true, force: true });
    await linkWorker(name, ip);
    children.push(await forwarder(REGISTRY, `${MANAGER_IP}:5000`, name));
    const { e } = await startWorker(name, ip);
    // Nothing from an earlier run: its containers, and the volumes a state node kept (images stay cached).
    await cleanEngine(e);
    workerEngines.push({ name, ip, e });
  }
  await swarmReset(manager);
  await cleanEngine(manager);
  for (const w of workerEngines) await swarmReset(w.e);
  // An overlay's VXLAN device left in the manager's namespace by a Swarm that ended uncleanly (a killed
  // run): the new Swarm reuses the VNI, and every task on the manager is rejected ("error creating vxlan
  // interface: file exists"). The workers' namespaces are new.
  await sh(`for l in $(ip -o link show type vxlan | awk -F': ' '{print $2}' | grep '^vx-'); do ip link del "$l"; done`);
  await manager.docker(["swarm", "init", "--advertise-addr", MANAGER_IP, "--listen-addr", `${MANAGER_IP}:2377`]);
  const token = (await manager.docker(["swarm", "join-token", "-q", "worker"])).stdout.trim();
  for (const w of workerEngines)
    await w.e.docker(["swarm", "join", "--token", token, "--advertise-addr", w.ip, "--listen-addr", `${w.ip}:2377`, `${MANAGER_IP}:2377`], { timeoutMs: 60_000 });
  const nodes: SwarmNode[] = [
    { name: RUN, ip: MANAGER_IP, role: "manager", engine: manager, id: await nodeId(manager) },
    ...(await Promise.all(workerEngines.map(async (w) => ({ name: w.name, ip: w.ip, role: "worker" as const, engine: w.e, id: await nodeId(w.e) })))),
  ];
  const nodeStates = async () => {
    const out = (await manager.docker(["node", "ls", "--format", "{{.ID}} {{.Status}} {{.Availability}}"])).stdout;
    return Object.fromEntries(
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" "))
        .map(([id, state, availability]) => [id!, { state: state!.toLowerCase(), availability: availability!.toLowerCase() }]),
    );
  };
  await waitFor(
    "every node of the Swarm ready",
    async () => {
      const s = await nodeStates();
      return nodes.every((n) => s[n.id]?.state === "ready") ? true : undefined;
    },
    60_000,
  );
  // The state node: a worker, so that the other worker and the manager can be lost without the state.
  const stateNode = nodes[1]!;
  await manager.docker(["node", "update", "--label-add", `${stateLabel}=true`, stateNode.id]);
  // The manager runs no task, as Docker advises for a Swarm with one manager (docs/operations.md): a
  // restart of its engine then stops nothing that serves (seen with it active: the graphiti replica the
  // worker drill had moved onto it went down with its engine, and the gateways answered 503 meanwhile).
  await manager.docker(["node", "update", "--availability", "drain", nodes[0]!.id]);
  fs.mkdirSync(RUN_DIR, { recursive: true });
  return {
    manager: nodes[0]!,
    nodes,
    stateNode,
    stateLabel,
    nodeStates,
    stopNode: async (n) => stopEngine(n.name),
    startNode: async (n) => {
      n.engine = n.role === "manager"
        ? await startEngine(n.name, { registryMirror: `http://${REGISTRY}` })
        : await startEngine(n.name, { netns: n.name, registryMirror: `http://${REGISTRY}` });
    },
    teardown: async () => {
      for (const w of workerEngines) {
        await stopEngine(w.name);
        await sh(`ip netns del ${w.name} 2>/dev/null; true`);
      }
      // The run's engine leaves the Swarm: the suite's other files use it as a single host.
      await swarmReset(engine(RUN, manager.host));
      for (const c of children) c.kill("SIGTERM");
      fs.rmSync(PIDS, { force: true });
      await sh(`ip link del ${BRIDGE} 2>/dev/null; ${FORWARD_RULE("-D")} 2>/dev/null; true`);
    },
  };
}
