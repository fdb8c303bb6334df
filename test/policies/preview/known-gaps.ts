// What a preview of the committed stacks still leaves "not checked", because no rule can know it before
// apply, each with the reason. Everything else must be decided in a preview (the preview tests here and
// test/e2e/policy-preview.e2e.ts fail on any other critical or high "not checked"); a gap closed by the
// program is removed here.
export interface KnownGap {
  policy: string;
  // The resource's name (the last part of its URN).
  resource: string;
  // The values the finding may name (a stack names those it has: prod's certificate is known, dev's is not).
  mentions: string[];
  reason: string;
}

export const KNOWN_GAPS: KnownGap[] = [
  {
    policy: "no-plaintext-credentials",
    resource: "health-monitor-volume-init",
    mentions: ["/mcp-platform/files/0/monitor.json", "/mcp-platform/files/1/gateway-ca.pem"],
    reason:
      "the health monitor's plain files are computed at apply: monitor.json from the containers' ids, gateway-ca.pem from the " +
      "gateway's TLS command (a secret output, of which the program keeps the public certificate); the engine names the " +
      "resources a container's uploads depend on, not which file each feeds, so no rule can tell before apply that neither holds " +
      "a credential. Checked at pulumi up, before the init that writes them is created.",
  },
];

// Whether a "not checked" finding is one of the known gaps (host mode; on a Swarm the monitor's files are
// configs and secrets of their own, decided in a preview).
export function isKnownGap(policy: string, resource: string | undefined, message: string): boolean {
  const named = [...message.matchAll(/content of plain file (\S+)/g)].map((m) => m[1]!);
  return KNOWN_GAPS.some((g) => g.policy === policy && (resource ?? "").endsWith(g.resource) && named.length > 0 && named.every((f) => g.mentions.includes(f)));
}
