// Just enough of nginx's configuration syntax to follow a request to its upstream: directives, blocks,
// quoted strings and comments. The gateway's config is read, not run, here (the gateway's own tests run nginx).
export interface Directive {
  name: string;
  args: string[];
  children?: Directive[];
}

function tokens(src: string): string[] {
  const out: string[] = [];
  const re = /#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g;
  for (const m of src.matchAll(re)) {
    if (m[0].startsWith("#")) continue;
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

export function parseNginx(src: string): Directive[] {
  const ts = tokens(src);
  let i = 0;
  const block = (): Directive[] => {
    const list: Directive[] = [];
    while (i < ts.length) {
      const t = ts[i++]!;
      if (t === "}") return list;
      if (t === ";" || t === "{") continue;
      const d: Directive = { name: t, args: [] };
      while (i < ts.length && ts[i] !== ";" && ts[i] !== "{" && ts[i] !== "}") d.args.push(ts[i++]!);
      if (ts[i] === "{") {
        i++;
        d.children = block();
      } else if (ts[i] === ";") i++;
      list.push(d);
    }
    return list;
  };
  return block();
}

// Each proxy_pass, with the chain of blocks around it (outermost first).
export function proxyPasses(conf: Directive[], chain: Directive[] = []): { target: string; chain: Directive[] }[] {
  const out: { target: string; chain: Directive[] }[] = [];
  for (const d of conf) {
    if (d.name === "proxy_pass" && d.args[0]) out.push({ target: d.args[0], chain });
    if (d.children) out.push(...proxyPasses(d.children, [...chain, d]));
  }
  return out;
}

export function all(conf: Directive[], name: string): Directive[] {
  return conf.flatMap((d) => [...(d.name === name ? [d] : []), ...(d.children ? all(d.children, name) : [])]);
}

// upstream name -> the hosts of its servers.
export function upstreams(conf: Directive[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const u of all(conf, "upstream"))
    map.set(u.args[0] ?? "", (u.children ?? []).filter((d) => d.name === "server").map((d) => hostOf(d.args[0] ?? "")));
  return map;
}

export function hostOf(address: string): string {
  const noScheme = address.replace(/^[a-z]+:\/\//i, "");
  return noScheme.split(/[/:]/)[0] ?? "";
}

// The limit_req zones in force where a proxy_pass is: nginx inherits limit_req from the enclosing level only
// when the inner level sets none, so the innermost level that sets any wins.
export function limitZones(chain: Directive[], top: Directive[]): string[] {
  for (const level of [...chain].reverse().map((b) => b.children ?? []).concat([top])) {
    const zones = level.filter((d) => d.name === "limit_req").map((d) => (d.args.find((a) => a.startsWith("zone=")) ?? "").slice(5));
    if (zones.length) return zones;
  }
  return [];
}

// Ports a `server` block listens on: "8080", "0.0.0.0:8080", "[::]:8080 default_server".
export function listenPorts(server: Directive): number[] {
  return (server.children ?? [])
    .filter((d) => d.name === "listen")
    .map((d) => Number((d.args[0] ?? "").split(":").pop()))
    .filter((n) => Number.isInteger(n) && n > 0);
}
