// /metrics read with the Prometheus project's own text-format parser (prometheus_client, Debian's
// python3-prometheus-client), so the exposition is checked by a parser that is not ours.
import { spawnSync } from "child_process";

export interface Family {
  name: string;
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const PYTHON = "/usr/bin/python3";
const SCRIPT = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [
        {"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

// undefined when the parser is installed, else why it cannot run.
export function prometheusParserProblem(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import prometheus_client.parser"], { encoding: "utf8" });
  return r.status === 0 ? undefined : `the Prometheus text parser is not installed (apt-get install python3-prometheus-client): ${(r.stderr || r.error?.message || "").trim().split("\n").at(-1)}`;
}

export function parsePrometheus(text: string): Family[] {
  const r = spawnSync(PYTHON, ["-c", SCRIPT], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`prometheus_client could not parse /metrics: ${r.stderr}`);
  return JSON.parse(r.stdout) as Family[];
}
