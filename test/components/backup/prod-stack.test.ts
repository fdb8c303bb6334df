import { beforeAll, describe } from "vitest";
import { evaluateStack, type Evaluation } from "../../harness/program";
import { itBacksUpTheStack } from "./stack-checks";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("prod");
});

describe("the prod stack's backups, evaluated from Pulumi.prod.yaml under mocks", () => {
  itBacksUpTheStack(() => ev, 60);
});
