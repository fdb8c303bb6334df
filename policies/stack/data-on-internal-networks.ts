import { UNKNOWN, stackPolicy } from "../lib/check";
import { cis, runbook } from "../lib/meta";
import { attachedNetworks, stackNetworks } from "../lib/networks";
import { byComponent, stackWorkloads } from "../lib/stack";
import { namespaces, ports, text } from "../lib/workload";

export const dataOnInternalNetworks = stackPolicy<{ components: string[] }>({
  name: "data-on-internal-networks",
  description: "Neo4j and the data services are attached only to internal networks and publish no port.",
  severity: "critical",
  framework: { ...runbook("Network Security (deny all other ports)"), specification: cis("5.9, 5.30").reference },
  remediationSteps: "Attach Neo4j and data services only to the backend network (internal: true) and publish nothing; MCP servers reach them by alias.",
  configSchema: { components: { type: "array", items: { type: "string" } } },
  defaults: { components: ["neo4j", "data-service"] },
  check(args, { config, read, report }) {
    const networks = stackNetworks(args.resources, read);
    const internal = {
      get(name: string): boolean | undefined | typeof UNKNOWN {
        const n = networks.get(name);
        return n && read(`internal of network ${n.resource}`, () => n.props.internal === true);
      },
    };
    for (const w of byComponent(stackWorkloads(args.resources, read), ...config.components)) {
      const who = `${w.labels.component} ${w.labels.service ?? w.resource.name}`;
      const mode = read(`networkMode of ${w.resource.name}`, () => (w.workload.kind === "container" ? text(w.workload.props.networkMode) : namespaces(w.workload).network));
      const nets = read(`networks of ${w.resource.name}`, () => attachedNetworks(w.resource, w.workload, networks));
      const ps = read(`ports of ${w.resource.name}`, () => ports(w.workload));
      if (ps !== UNKNOWN && ps.length)
        report(`${who} publishes host port${ps.length > 1 ? "s" : ""} ${ps.map((p) => p.external ?? "(random)").join(", ")}. Remove its ports: it is reached on the internal network by alias.`, w.resource.urn);
      // The stack's props are the provider's state, where networkMode reads "default" for a container on
      // networksAdvanced only (the provider disconnects it from the default bridge): judge the networks.
      if (mode !== UNKNOWN && mode && (mode.toLowerCase() === "host" || mode.toLowerCase().startsWith("container:")))
        report(`${who} uses networkMode ${mode}. Remove it and attach only the internal backend network.`, w.resource.urn);
      if (nets === UNKNOWN) continue;
      if (nets.length === 0 && mode !== "none")
        report(`${who} is attached to no declared network (so to Docker's default bridge). Attach it only to the internal backend network.`, w.resource.urn);
      for (const n of nets) {
        const i = internal.get(n);
        if (i === UNKNOWN) continue;
        if (i === undefined) report(`${who} is attached to network ${n}, which this stack does not declare, so it can't be shown internal. Attach it to the backend network (internal: true).`, w.resource.urn);
        else if (!i) report(`${who} is attached to network ${n}, which is not internal (it has a route out and reaches published ports). Attach it only to the internal backend network.`, w.resource.urn);
      }
    }
  },
});
