// Just enough of HAProxy's configuration syntax to follow a route from its published port to its
// replicas: sections (frontend, backend, ...) and their lines, with comments dropped. The gateway's
// config is read, not run, here (the gateway's own tests run HAProxy).
export interface Section {
  kind: string;
  name: string;
  lines: string[];
}

export function parseHaproxy(src: string): Section[] {
  const sections: Section[] = [];
  for (const raw of src.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    if (!/^\s/.test(raw)) {
      const [kind, name] = line.split(/\s+/);
      sections.push({ kind: kind!, name: name ?? "", lines: [] });
    } else sections.at(-1)?.lines.push(line);
  }
  return sections;
}

export const frontends = (conf: Section[]) => conf.filter((s) => s.kind === "frontend");
export const backend = (conf: Section[], name: string) => conf.find((s) => s.kind === "backend" && s.name === name);

// Ports a frontend binds: "bind :8080 ssl crt ...", "bind 127.0.0.1:8080".
export function bindPorts(f: Section): number[] {
  return f.lines.filter((l) => l.startsWith("bind ")).map((l) => Number(/:(\d+)(\s|$)/.exec(l)?.[1])).filter((n) => Number.isInteger(n) && n > 0);
}

export const terminatesTls = (f: Section) => f.lines.some((l) => l.startsWith("bind ") && /\sssl(\s|$)/.test(l) && /\scrt\s/.test(l));

// Backends a frontend sends requests to.
export function backendsOf(f: Section): string[] {
  return f.lines.filter((l) => /^(default_backend|use_backend)\s/.test(l)).map((l) => l.split(/\s+/)[1]!);
}

// Hosts of a backend's servers: "server gmail-1 gmail-1:8080 ..." -> gmail-1.
export function serverHosts(b: Section): string[] {
  return b.lines.filter((l) => l.startsWith("server ")).map((l) => (l.split(/\s+/)[2] ?? "").replace(/:\d+$/, ""));
}

// A request rate limit in force: a tracked counter and a rule that answers 429 (or denies) over a rate.
export function rateLimited(f: Section): boolean {
  const tracks = f.lines.some((l) => /^http-request track-sc\d\s/.test(l));
  const over = f.lines.some((l) => /sc\d?_http_req_rate|sc_http_req_rate\(\d\)/.test(l) && /\b(gt|ge)\s+\d+/.test(l));
  const answers = f.lines.some((l) => /^http-request (return status 429|deny deny_status 429)/.test(l));
  return tracks && over && answers;
}

// Authentication on every request: a bearer token verified (jwt_verify) or looked up (an API key map),
// and requests without one answered 401.
export function authenticates(f: Section): boolean {
  const verifies = f.lines.some((l) => /jwt_verify\(/.test(l) || /http_auth_(bearer|pass)[^ ]*,digest\(sha256\)[^ ]*,map\(/.test(l));
  const refuses = f.lines.some((l) => /^http-request return status 401\s/.test(l) || /^http-request deny deny_status 401/.test(l));
  return verifies && refuses;
}
