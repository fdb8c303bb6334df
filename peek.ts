import { evaluateStack } from "./test/harness/program";
import { resourcesOf, PINNED } from "./test/policies/program";
(async () => {
  const mode = process.argv[2];
  const ev = await evaluateStack("prod", { config: { ...PINNED, ...(mode ? { "mcp-platform:mode": mode } : {}) } });
  for (const r of resourcesOf(ev)) {
    const s = JSON.stringify(r.props);
    if (s.includes('"gateway"') || r.type.includes("serviceConfig")) console.log(r.type, r.name, s.slice(0, 700).replace(/\\n/g, " "), "\n");
  }
})();
