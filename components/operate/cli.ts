// What the platform's command-line tools (status, logs, pin, verify) share: how a parse error reads, and
// how the process ends (the exit code main returns; 2 for a crash, with its stack).

// node:util parseArgs's message without its generic hint ("Option '--stack <value>' argument missing").
export function argvProblem(e: unknown): string {
  return (e as Error).message.split(". To specify")[0]!;
}

export function runCli(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
