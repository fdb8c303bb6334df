import { beforeAll, describe } from "vitest";
import { evaluateStack, type Evaluation } from "../../harness/program";
import { itBacksUpTheStack } from "./stack-checks";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("dev");
});

describe("the dev stack's backups, evaluated from Pulumi.dev.yaml under mocks", () => {
  itBacksUpTheStack(() => ev, 1440);
});
