import { describe, expect, it } from "vitest";
import { neo4jMemory, neo4jMemoryEnv } from "../../../components/neo4j/memory";
import { NEO4J_URI, neo4jEnv } from "../../../components/neo4j/spec";
import { neo4jSchema } from "../../../components/config/schema";

describe("Neo4j memory", () => {
  it.each([
    [1024, 409, 307],
    [2048, 819, 614],
    [4096, 1638, 1228],
  ])("derives heap and page cache from a %i MB limit", (limit, heap, pageCache) => {
    expect(neo4jMemory(limit)).toEqual({ heapMb: heap, pageCacheMb: pageCache });
  });

  it("leaves at least 30% of the limit for off-heap memory by default", () => {
    for (const limit of [1024, 1536, 3000, 16384]) {
      const m = neo4jMemory(limit);
      expect(m.heapMb + m.pageCacheMb).toBeLessThanOrEqual(limit * 0.7);
    }
  });

  it("takes explicit sizes, and refuses ones that leave no room", () => {
    expect(neo4jMemory(4096, { heapMb: 2048, pageCacheMb: 1024 })).toEqual({ heapMb: 2048, pageCacheMb: 1024 });
    expect(() => neo4jMemory(2048, { heapMb: 2000 })).toThrow(RangeError);
  });

  it("uses the Neo4j 5 setting names, heap initial equal to max", () => {
    expect(neo4jMemoryEnv({ heapMb: 800, pageCacheMb: 600 })).toEqual({
      NEO4J_server_memory_heap_initial__size: "800m",
      NEO4J_server_memory_heap_max__size: "800m",
      NEO4J_server_memory_pagecache_size: "600m",
    });
  });

  it("enables APOC and never sets the 4.x dbms.memory names", () => {
    const env = neo4jEnv(neo4jSchema.parse({}));
    expect(env.NEO4J_PLUGINS).toBe('["apoc"]');
    expect(Object.keys(env).filter((k) => k.startsWith("NEO4J_dbms_memory"))).toEqual([]);
  });

  it("is reached at bolt://neo4j:7687", () => {
    expect(NEO4J_URI).toBe("bolt://neo4j:7687");
  });
});
