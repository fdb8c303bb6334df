import { describe, expect, it } from "vitest";
import { passwordLengthNotice } from "../../../components/neo4j/spec";

describe("passwordLengthNotice", () => {
  it("says nothing when the kept password has the configured length", () => {
    expect(passwordLengthNotice(32, 32)).toBeUndefined();
  });

  it("names the key, both lengths and the way back when they differ", () => {
    const notice = passwordLengthNotice(40, 32)!;
    expect(notice).toMatch(/^neo4j\.passwordLength is 40, but this stack's Neo4j password was generated with 32 characters and is kept/);
    expect(notice).toContain("set it back to 32");
  });
});
