// Starts the policy pack as the Pulumi CLI's Node.js language host does (run-policy-pack, TypeScript
// compiled by ts-node from policies/, modules resolved from the repository's node_modules) and talks to
// it over gRPC on loopback with @pulumi/pulumi's own protobuf classes: no Pulumi CLI needed.
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { ROOT } from "./stack-files";
import type { PackConfig, TestResource } from "./policy";

/* eslint-disable @typescript-eslint/no-require-imports -- generated CommonJS protobuf modules, untyped */
// Load grpc and protobuf from where @pulumi/pulumi's generated code loads them, so instances match.
const protoDir = path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"));
const fromProto = (m: string): unknown => require(require.resolve(m, { paths: [protoDir] }));
type Msg = Record<string, (...a: unknown[]) => unknown>;
type Ctor = new () => Msg;
const grpc = fromProto("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerClient: new (addr: string, creds: unknown) => Record<string, (req: unknown, cb: (e: Error | null, r: Msg) => void) => void> & { close(): void } };
const pb = require("@pulumi/pulumi/proto/analyzer_pb") as Record<string, Ctor> & { EnforcementLevel: Record<string, number> };
const { Struct } = fromProto("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(o: unknown): unknown } };
const { Empty } = fromProto("google-protobuf/google/protobuf/empty_pb") as { Empty: Ctor };
/* eslint-enable @typescript-eslint/no-require-imports */

const LEVEL_NAMES = Object.fromEntries(Object.entries(pb.EnforcementLevel).map(([k, v]) => [v, k.toLowerCase()]));

export interface PackDiagnostic {
  policy: string;
  message: string;
  level: string;
  urn: string;
}

export class RunningPack {
  private types = new Map<string, string>();
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: InstanceType<typeof services.AnalyzerClient>,
  ) {}


  // Bounded: gives up after `timeoutMs` if the pack prints no port.
  static async start(timeoutMs = 90_000): Promise<RunningPack> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policies"), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGTERM");
        reject(new Error(`the pack printed no port within ${timeoutMs} ms:\n${stderr}`));
      }, timeoutMs);
      child.stdout!.on("data", (d: Buffer) => {
        const m = /^(\d+)\s*$/m.exec(d.toString());
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the pack exited (${code}) before serving:\n${stderr}`));
      });
    });
    const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new RunningPack(child, client);
  }

  private call(method: string, req: unknown): Promise<Msg> {
    return new Promise((resolve, reject) => this.client[method]!(req, (e, r) => (e ? reject(e) : resolve(r))));
  }

  async info(): Promise<{ name: string; policies: { name: string; description: string; level: string; severity: number }[] }> {
    const r = await this.call("getAnalyzerInfo", new Empty());
    const policies = (r.getPoliciesList!() as Msg[]).map((p) => ({
      name: p.getName!() as string,
      description: p.getDescription!() as string,
      level: LEVEL_NAMES[p.getEnforcementlevel!() as number]!,
      severity: p.getSeverity!() as number,
    }));
    return { name: r.getName!() as string, policies };
  }

  // As the CLI sends a --policy-pack-config file: "all" sets every policy's level, a policy's own entry overrides it.
  async configure(config: PackConfig, policyNames: string[]): Promise<void> {
    const req = new pb.ConfigureAnalyzerRequest!();
    const map = req.getPolicyconfigMap!() as { set(k: string, v: unknown): void };
    const all = typeof config.all === "string" ? config.all : undefined;
    for (const name of policyNames) {
      const c = config[name];
      const { enforcementLevel, ...props } = typeof c === "string" ? { enforcementLevel: c } : (c ?? {});
      const level = enforcementLevel ?? all;
      if (!level && !c) continue;
      const pc = new pb.PolicyConfig!();
      pc.setEnforcementlevel!(pb.EnforcementLevel[(level ?? "advisory").toUpperCase()]);
      pc.setProperties!(Struct.fromJavaScript(props));
      map.set(name, pc);
    }
    await this.call("configure", req);
  }

  // A resource as the engine sends it: its inputs to analyze, its planned outputs and dependencies to analyzeStack.
  private resource(Kind: Ctor, r: TestResource, stack = false): Msg {
    const m = new Kind();
    const urn = (type: string, name: string) => `urn:pulumi:test::mcp-platform::${type}::${name}`;
    m.setType!(r.type);
    m.setName!(r.name);
    m.setUrn!(urn(r.type, r.name));
    m.setProperties!(Struct.fromJavaScript(JSON.parse(JSON.stringify(stack ? (r.outputs ?? r.props) : r.props))));
    m.setOptions!(new pb.AnalyzerResourceOptions!());
    if (stack && r.propertyDependencies) {
      const deps = m.getPropertydependenciesMap!() as unknown as Map<string, Msg>;
      for (const [key, names] of Object.entries(r.propertyDependencies)) {
        const d = new pb.AnalyzerPropertyDependencies!();
        d.setUrnsList!(names.map((n) => urn(this.types.get(n) ?? "test:index:Other", n)));
        deps.set(key, d);
      }
    }
    return m;
  }

  private diagnostics(r: Msg): PackDiagnostic[] {
    return (r.getDiagnosticsList!() as Msg[]).map((d) => ({
      policy: d.getPolicyname!() as string,
      message: d.getMessage!() as string,
      level: LEVEL_NAMES[d.getEnforcementlevel!() as number]!,
      urn: d.getUrn!() as string,
    }));
  }

  // analyze for each resource, then analyzeStack, as the engine does.
  async analyze(resources: TestResource[]): Promise<PackDiagnostic[]> {
    const out: PackDiagnostic[] = [];
    for (const r of resources) {
      const req = this.resource(pb.AnalyzeRequest!, r);
      out.push(...this.diagnostics(await this.call("analyze", req)).map((d) => ({ ...d, urn: d.urn || (req.getUrn!() as string) })));
    }
    const stack = new pb.AnalyzeStackRequest!();
    this.types = new Map(resources.map((r) => [r.name, r.type]));
    stack.setResourcesList!(resources.map((r) => this.resource(pb.AnalyzerResource!, r, true)));
    out.push(...this.diagnostics(await this.call("analyzeStack", stack)));
    return out;
  }

  stop(): void {
    this.client.close();
    this.child.kill("SIGTERM");
  }
}
