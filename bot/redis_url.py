"""Builds the one Redis client every opsbot part uses (approval store, Slack state, audit
stream, rate limiters, report scheduler) from REDIS_URL, in any of the forms users know:

  redis://[[user]:password@]host[:port][/db]          one server (TCP)
  rediss://...                                          the same over TLS
  unix://[[user]:password@]/path/to/redis.sock[?db=N]   one server (Unix socket)
  redis+sentinel://[[user]:password@]host1:26379,host2:26379/mastername[/db]
                                                        Sentinel: the client asks the sentinels
                                                        for the master (and again after a
                                                        failover); the password is the master's,
                                                        `?sentinel_password=` the sentinels'
  redis+cluster://[[user]:password@]host1:7000,host2:7001
                                                        Redis Cluster: any reachable nodes; the
                                                        client learns the slot map from them
  (rediss+sentinel:// and rediss+cluster:// use TLS.)

Every client fails fast: short socket timeouts and one quick retry, so an outage or a failover
surfaces as an error in seconds (the approval store turns it into StoreUnavailable), never as
a hang. After a failover the same client finds the new master on its next command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.commands.core import Script
from redis.retry import Retry
from redis.sentinel import Sentinel

RedisClient = redis.Redis | RedisCluster
"""What `connect` returns: a plain or Sentinel-managed client, or a cluster client."""

SETTING = "REDIS_URL"
DEFAULT_SENTINEL_PORT = 26379
DEFAULT_CLUSTER_PORT = 6379


class RedisMode(StrEnum):
    SINGLE = "single"
    SENTINEL = "sentinel"
    CLUSTER = "cluster"


class InvalidRedisUrl(ValueError):
    """REDIS_URL cannot be understood; the message names the setting and never the password."""


@dataclass(frozen=True)
class RedisTarget:
    """A parsed REDIS_URL (the password kept apart so `where` can be shown in errors)."""

    mode: RedisMode
    url: str  # SINGLE: the URL as given (redis-py parses it)
    nodes: tuple[tuple[str, int], ...] = ()
    master: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    tls: bool = False

    @property
    def where(self) -> str:
        hosts = ",".join(f"{h}:{p}" for h, p in self.nodes)
        if self.mode is RedisMode.SENTINEL:
            return f"Sentinel {hosts} (master {self.master!r}, db {self.db})"
        if self.mode is RedisMode.CLUSTER:
            return f"Cluster {hosts}"
        parts = urlsplit(self.url)
        return parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"


def _bad(url: str, problem: str) -> InvalidRedisUrl:
    parts = urlsplit(url)
    shown = url
    if parts.password:
        shown = url.replace(f":{parts.password}@", ":***@", 1)
    return InvalidRedisUrl(
        f"{SETTING}={shown!r} is not a Redis URL opsbot understands: {problem}. Use "
        "redis://host:6379/0, rediss://..., unix:///path/redis.sock, "
        "redis+sentinel://[:password@]host1:26379,host2:26379/mastername[/db] or "
        "redis+cluster://[:password@]host1:7000,host2:7001."
    )


def _nodes(url: str, netloc: str, default_port: int) -> tuple[tuple[str, int], ...]:
    hosts = netloc.rpartition("@")[2]
    nodes: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon:
            host, port = item.strip(), str(default_port)
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _bad(url, f"{item!r} is not host:port")
        nodes.append((host, int(port)))
    return tuple(nodes)


def _credentials(netloc: str) -> tuple[str | None, str | None]:
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return None, None
    user, colon, password = userinfo.partition(":")
    return (unquote(user) or None), (unquote(password) if colon else None)


def parse(url: str) -> RedisTarget:
    """Parse REDIS_URL; raise InvalidRedisUrl (naming the setting) when it is malformed."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise _bad(url, "it has no scheme")
    if scheme in ("redis", "rediss", "unix"):
        try:
            kwargs = redis.connection.parse_url(url)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise _bad(url, str(exc)) from exc
        if scheme != "unix" and not kwargs.get("host"):
            raise _bad(url, "it names no host")
        return RedisTarget(mode=RedisMode.SINGLE, url=url)
    if scheme not in ("redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster"):
        raise _bad(url, f"unknown scheme {scheme!r}")
    netloc, _, tail = rest.partition("/")
    path, _, query_text = tail.partition("?")
    if "?" in netloc:
        netloc, _, query_text = netloc.partition("?")
    query = {k: v[-1] for k, v in parse_qs(query_text, keep_blank_values=True).items()}
    username, password = _credentials(netloc)
    tls = scheme.startswith("rediss")
    if scheme.endswith("+cluster"):
        if path.strip("/") not in ("", "0"):
            raise _bad(url, "Redis Cluster has only database 0")
        return RedisTarget(
            mode=RedisMode.CLUSTER,
            url=url,
            nodes=_nodes(url, netloc, DEFAULT_CLUSTER_PORT),
            username=username,
            password=password,
            tls=tls,
        )
    segments = [s for s in path.split("/") if s]
    if not segments or len(segments) > 2:
        raise _bad(url, "give the master's name after the sentinels: .../mastername[/db]")
    if len(segments) == 2 and not segments[1].isdigit():
        raise _bad(url, f"the database {segments[1]!r} is not a number")
    unknown = set(query) - {"sentinel_password", "sentinel_username"}
    if unknown:
        raise _bad(url, f"unknown option(s) {', '.join(sorted(unknown))}")
    return RedisTarget(
        mode=RedisMode.SENTINEL,
        url=url,
        nodes=_nodes(url, netloc, DEFAULT_SENTINEL_PORT),
        master=unquote(segments[0]),
        db=int(segments[1]) if len(segments) == 2 else 0,
        username=username,
        password=password,
        sentinel_username=query.get("sentinel_username") or None,
        sentinel_password=query.get("sentinel_password") or None,
        tls=tls,
    )


def _fail_fast(timeout_seconds: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
    }


def connect(url: str, *, timeout_seconds: float = 2.0) -> RedisClient:
    """The client for REDIS_URL (see the module docstring for the forms)."""
    target = parse(url)
    common = _fail_fast(timeout_seconds)
    if target.mode is RedisMode.SINGLE:
        return redis.Redis.from_url(url, health_check_interval=30, **common)
    if target.mode is RedisMode.CLUSTER:
        return RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],  # type: ignore[no-untyped-call]
            ssl=target.tls,
            username=target.username,
            password=target.password,
            **common,
        )
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.nodes),
        sentinel_kwargs={
            "username": target.sentinel_username,
            "password": target.sentinel_password,
            "ssl": target.tls,
            **_fail_fast(timeout_seconds),
        },
        ssl=target.tls,
        db=target.db,
        username=target.username,
        password=target.password,
        **common,
    )
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        target.master, health_check_interval=30
    )
    return client


def where(client: RedisClient) -> str:
    """Where a client points, for error messages (no password)."""
    if isinstance(client, RedisCluster):
        primaries = client.get_primaries()  # type: ignore[no-untyped-call]
        nodes = ",".join(f"{n.host}:{n.port}" for n in primaries) or "(no nodes)"
        return f"Cluster {nodes}"
    pool = client.connection_pool
    service = getattr(pool, "service_name", None)
    if service:
        return f"Sentinel-managed master {service!r}"
    kwargs = pool.connection_kwargs
    return str(kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}")


def run_acknowledged(
    client: RedisClient,
    script: Script,
    keys: Sequence[str],
    args: Sequence[str],
    *,
    replicas: int,
    timeout_ms: int,
) -> tuple[Any, int]:
    """Run `script`, then (with `replicas` > 0) WAIT on the same connection: WAIT counts the
    replicas holding this connection's writes, so on a Cluster it must go to the node of
    `keys[0]`. Returns the script's reply and how many replicas confirmed in time (0 when
    none were asked for)."""
    if replicas <= 0:
        return script(keys=keys, args=args), 0
    node_client: redis.Redis
    if isinstance(client, RedisCluster):
        node = client.get_node_from_key(keys[0])  # type: ignore[no-untyped-call]
        node_client = client.get_redis_connection(node)
    else:
        node_client = client
    pipe = node_client.pipeline(transaction=False)
    script(keys=keys, args=args, client=pipe)
    pipe.execute_command("WAIT", replicas, timeout_ms)  # type: ignore[no-untyped-call]
    reply, acked = pipe.execute()
    return reply, int(acked)


def default_ack_replicas(url: str) -> int:
    """Replicas that must acknowledge the writes deciding an execution, unless configured:
    1 where a failover can happen (Sentinel, Cluster), 0 for one server."""
    return 0 if parse(url).mode is RedisMode.SINGLE else 1


def ack_replicas(configured: int | None, url: str | None) -> int:
    """`configured` (OPSBOT_REDIS_ACK_REPLICAS), or the default for `url`."""
    return configured if configured is not None else default_ack_replicas(url or "")
