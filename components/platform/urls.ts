// The URLs a user is given: where published ports are reached from outside the Docker host.

// Host part of the URLs: the publish address, or when ports bind to every interface, the Docker host's
// own name (remote engines) or localhost.
export function publicHost(publishAddress: string, dockerHost: string): string {
  if (publishAddress !== "0.0.0.0" && publishAddress !== "::") return publishAddress.includes(":") ? `[${publishAddress}]` : publishAddress;
  const m = /^(?:tcp|ssh):\/\/(?:[^@/]+@)?([^:/]+)/.exec(dockerHost);
  return m?.[1] ?? "localhost";
}

export function url(host: string, port: number, path = ""): string {
  return `http://${host}:${port}${path}`;
}
