// GET a health URL: 2xx is healthy (or, for a data service's root URL, any answer below 500).
import { readSecretFile, type HttpCheck } from "../config";
import { elapsed, errorMessage, type CheckResult } from "./result";
import { fetchFor } from "./tls";

export async function probeHttp(c: HttpCheck, timeoutMs: number): Promise<CheckResult> {
  const label = `http ${new URL(c.url).pathname}`;
  const start = performance.now();
  try {
    const token = readSecretFile(c.bearerTokenFile);
    const res = await fetchFor(c.tls)(c.url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      redirect: "manual",
    });
    await res.arrayBuffer();
    const ms = elapsed(start);
    const ok = c.expect === "2xx" ? res.status >= 200 && res.status < 300 : res.status < 500;
    return { check: label, ok, ms, detail: `HTTP ${res.status}`, steps: [{ step: "health", ms, ok }] };
  } catch (e) {
    const ms = elapsed(start);
    return { check: label, ok: false, ms, detail: errorMessage(e), steps: [{ step: "health", ms, ok: false }] };
  }
}
