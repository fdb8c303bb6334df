// Building the platform declares about 60 resources, and the Pulumi SDK wraps each of their inputs and
// outputs in a promise that records the stack it was made on (6,500 stacks for prod), read only by its
// promise-leak report (PULUMI_DEBUG_PROMISE_LEAKS). Under the source maps the nodejs host installs for
// TypeScript, formatting those stacks cost about 1 s of every preview and update (bench/README.md). While
// the platform is built, a stack keeps its top frame only: an error thrown then still names where it was
// thrown, and each resource's own source position is unaffected (the SDK takes it with a limit of its own).
export const BUILD_STACK_FRAMES = 1;

export function withShortStacks<T>(build: () => T, env: NodeJS.ProcessEnv = process.env): T {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return build();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = BUILD_STACK_FRAMES;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
