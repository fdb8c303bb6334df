// Neo4j's memory settings, derived from the container's memory limit so the JVM never outgrows it.
// The 5.x names (server.memory.*); the runbook's NEO4J_dbms_memory_* are the 4.x names and are ignored by 5.x.

export interface Neo4jMemory {
  heapMb: number;
  pageCacheMb: number;
}

// Heap 40% and page cache 30% of the limit; the remaining 30% covers the JVM's off-heap memory
// (metaspace, threads, direct buffers, transaction state) that Neo4j's own memory recommendations reserve.
export const HEAP_SHARE = 0.4;
export const PAGE_CACHE_SHARE = 0.3;

export function neo4jMemory(limitMb: number, overrides: { heapMb?: number; pageCacheMb?: number } = {}): Neo4jMemory {
  const heapMb = overrides.heapMb ?? Math.floor(limitMb * HEAP_SHARE);
  const pageCacheMb = overrides.pageCacheMb ?? Math.floor(limitMb * PAGE_CACHE_SHARE);
  if (heapMb + pageCacheMb > limitMb * 0.9)
    throw new RangeError(
      `neo4j.heapMb (${heapMb}) + neo4j.pageCacheMb (${pageCacheMb}) must leave at least 10% of neo4j.memoryMb (${limitMb}) for off-heap memory`,
    );
  return { heapMb, pageCacheMb };
}

export function neo4jMemoryEnv(m: Neo4jMemory): Record<string, string> {
  return {
    // Initial = max: the heap is sized once, with no resizing pauses.
    NEO4J_server_memory_heap_initial__size: `${m.heapMb}m`,
    NEO4J_server_memory_heap_max__size: `${m.heapMb}m`,
    NEO4J_server_memory_pagecache_size: `${m.pageCacheMb}m`,
  };
}
