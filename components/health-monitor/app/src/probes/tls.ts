// fetch with the TLS a check asks for: its CA trusted besides the public roots, and the certificate held
// to the name the check gives (the gateway's public host) rather than the host dialled (`gateway`).
// undici is the fetch Node itself ships; its Agent carries these connect options.
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import { Agent, fetch as undiciFetch } from "undici";
import type { TlsOptions } from "../config";

export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

const agents = new Map<string, Agent>();

function agentFor(o: TlsOptions): Agent {
  const key = `${o.caFile ?? ""}\0${o.serverName ?? ""}`;
  let agent = agents.get(key);
  if (!agent) {
    const name = o.serverName;
    agent = new Agent({
      connect: {
        ...(o.caFile ? { ca: [...tls.rootCertificates, fs.readFileSync(o.caFile, "utf8")] } : {}),
        // SNI takes host names only; the identity check takes either.
        ...(name && !net.isIP(name) ? { servername: name } : {}),
        ...(name ? { checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(name, cert) } : {}),
      },
    });
    agents.set(key, agent);
  }
  return agent;
}

export function fetchFor(o: TlsOptions | undefined): Fetch {
  if (!o || (!o.caFile && !o.serverName)) return fetch;
  const dispatcher = agentFor(o);
  // undici's own Request/Response types are the ones Node's global fetch uses at run time.
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher } as never)) as unknown as Fetch;
}
