// Entry point: the config file named by HEALTH_MONITOR_CONFIG, the port from PORT (8083), and a clean
// stop on SIGTERM that saves history and alerts first.
import * as path from "path";
import { ConfigFileError, loadMonitorConfig } from "./config";
import { Monitor } from "./monitor";
import { createServer, VERSION } from "./server";

const configFile = process.env.HEALTH_MONITOR_CONFIG ?? "/app/config/monitor.json";
const port = Number(process.env.PORT ?? "8083");

function main(): void {
  let config;
  try {
    config = loadMonitorConfig(configFile);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      console.error(JSON.stringify({ level: "fatal", msg: e.message }));
      process.exit(2);
    }
    throw e;
  }
  // HEALTH_CHECK_INTERVAL (the runbook's variable, seconds) overrides the file's interval.
  const interval = Number(process.env.HEALTH_CHECK_INTERVAL);
  if (Number.isInteger(interval) && interval > 0) config.intervalSeconds = interval;
  const monitor = new Monitor(config);
  const { server, close } = createServer(monitor, { publicDir: process.env.HEALTH_MONITOR_PUBLIC ?? path.join(__dirname, "..", "public") });
  server.listen(port, () => {
    console.log(JSON.stringify({ level: "info", msg: "health monitor listening", version: VERSION, port, targets: config.targets.length, intervalSeconds: config.intervalSeconds }));
    monitor.start();
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ level: "info", msg: "stopping", signal }));
    await monitor.stop();
    await close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main();
