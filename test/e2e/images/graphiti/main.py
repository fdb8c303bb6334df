"""Stand-in for graphiti 1.0.1's MCP server (zepai/knowledge-graph-mcp:1.0.1-standalone), for the
end-to-end tests. It behaves as the real server does where the platform depends on it:

- settings from the environment as pydantic-settings reads them (nested keys joined by ``__``): the baked
  config says ``database.provider: falkordb``, so without ``DATABASE__PROVIDER=neo4j`` it tries FalkorDB
  on localhost and exits; the model is ``LLM__MODEL``; Neo4j's URI, user and password and the OpenAI key
  come from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / OPENAI_API_KEY (the real config.yaml interpolates
  them);
- start-up connects to the database and builds its indices before the HTTP listener opens, so Neo4j must
  be reachable at start or the process exits; an empty OpenAI key fails start-up;
- FastMCP's Streamable HTTP at /mcp on port 8000 (SERVER__PORT), /health answers a static document;
- tools are async and answer from Neo4j through one async driver (graphiti_core's Neo4jDriver is
  neo4j's AsyncGraphDatabase with default settings): a slow or absent Neo4j holds only the requests that
  need it, never the server. After a Neo4j restart the driver's pool drops the broken connections and
  opens new ones; get_status runs one query without a retry, as the real tool does, so it reports the
  error until Neo4j is back, and recovers without a restart of the server.
"""

import asyncio
import logging
import os
import socket
import sys
import time

from mcp.server.fastmcp import FastMCP
from neo4j import AsyncGraphDatabase
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("graphiti-stand-in")


class ServerSettings(BaseModel):
    host: str = "0.0.0.0"
    port: int = 8000


class DatabaseSettings(BaseModel):
    # The baked config/config.yaml of 1.0.1.
    provider: str = "falkordb"


class LlmSettings(BaseModel):
    provider: str = "openai"
    model: str = "gpt-4.1-mini"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", case_sensitive=False, extra="ignore")
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    llm: LlmSettings = LlmSettings()


settings = Settings()


def fail(message: str) -> None:
    log.error(message)
    sys.exit(1)


def database():
    provider = settings.database.provider.lower()
    if provider == "falkordb":
        uri = os.environ.get("FALKORDB_URI", "redis://localhost:6379")
        host, port = uri.split("//", 1)[-1].split(":")
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as e:
            fail(f"Failed to initialize Graphiti: cannot connect to FalkorDB at {uri}: {e}")
        fail("the stand-in has no FalkorDB driver; set DATABASE__PROVIDER=neo4j")
    if provider != "neo4j":
        fail(f"Unsupported database provider: {provider}")
    uri = os.environ.get("NEO4J_URI", "bolt://localhost:7687")
    user = os.environ.get("NEO4J_USER", "neo4j")
    password = os.environ.get("NEO4J_PASSWORD", "demodemo")
    return uri, (user, password)


# Set at start-up, before the server listens.
URI, AUTH = "", ("", "")


async def initialize() -> None:
    # build_indices_and_constraints(): the real server creates its indices before it listens.
    probe = AsyncGraphDatabase.driver(URI, auth=AUTH)
    try:
        await probe.verify_connectivity()
        await probe.execute_query("CREATE INDEX episode_uuid IF NOT EXISTS FOR (n:Episodic) ON (n.uuid)")
    except Exception as e:  # noqa: BLE001 - any failure here ends start-up, as in the real server
        fail(f"Failed to initialize Graphiti: {e}")
    finally:
        await probe.close()
    log.info("connected to Neo4j at %s; model %s", URI, settings.llm.model)


_driver = None


def driver():
    # One driver for the server's life, made in the server's event loop (an async driver belongs to one).
    global _driver
    if _driver is None:
        _driver = AsyncGraphDatabase.driver(URI, auth=AUTH)
    return _driver


mcp = FastMCP("Graphiti Agent Memory", host=settings.server.host, port=settings.server.port)


@mcp.custom_route("/health", methods=["GET"])
async def health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "healthy", "service": "graphiti-mcp"})


@mcp.tool()
async def get_status() -> dict:
    """Status of the server and of its database connection."""
    try:
        async with driver().session() as session:
            result = await session.run("MATCH (n) RETURN count(n) AS count")
            await result.consume()
        return {"status": "ok", "message": "Graphiti MCP server is running and connected to neo4j database"}
    except Exception as e:  # noqa: BLE001 - reported to the caller, as the real tool does
        return {"status": "error", "message": f"Graphiti MCP server is running but database connection failed: {e}"}


@mcp.tool()
async def add_memory(name: str, episode_body: str, group_id: str = "main") -> dict:
    """Store an episode (the real server also extracts entities with the LLM; the stand-in stores it)."""
    records, _, _ = await driver().execute_query(
        "CREATE (e:Episodic {uuid: randomUUID(), name: $name, content: $body, group_id: $group, created_at: $at}) RETURN e.uuid AS uuid",
        name=name,
        body=episode_body,
        group=group_id,
        at=time.time(),
    )
    return {"message": f"Episode '{name}' queued for processing", "uuid": records[0]["uuid"]}


@mcp.tool()
async def get_episodes(group_id: str = "main", max_episodes: int = 10) -> list:
    """The most recent episodes of a group."""
    records, _, _ = await driver().execute_query(
        "MATCH (e:Episodic {group_id: $group}) RETURN e.name AS name, e.uuid AS uuid ORDER BY e.created_at DESC LIMIT $n",
        group=group_id,
        n=max_episodes,
    )
    return [dict(r) for r in records]


if __name__ == "__main__":
    if not os.environ.get("OPENAI_API_KEY"):
        fail("Failed to initialize Graphiti: API key is not configured (OPENAI_API_KEY)")
    URI, AUTH = database()
    asyncio.run(initialize())
    mcp.run(transport="streamable-http")
