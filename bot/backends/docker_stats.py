"""`docker stats` (one sample per running container) and `docker top` for the Docker backend.

Handlers take the DockerBackend (its `_request`/`_call_text` plumbing) and the operation; they
are listed in the backend's DISPATCH. Process command lines are untrusted: they go through
the redactor (a password on a command line must not reach chat).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bot.backends.base import Result, Status
from bot.backends.docker_render import container_name
from bot.backends.kubernetes_render import table
from bot.catalog.reads_ops import DockerStats, DockerTop
from bot.redact import redact, truncate

if TYPE_CHECKING:
    from bot.backends.docker_backend import DockerBackend

MAX_STATS_CONTAINERS = 50
STATS_WORKERS = 8


def cpu_percent(stats: dict[str, Any]) -> float | None:
    """CPU % as the docker CLI computes it: container delta / system delta x online CPUs."""
    cpu = stats.get("cpu_stats") or {}
    pre = stats.get("precpu_stats") or {}
    total = (cpu.get("cpu_usage") or {}).get("total_usage")
    pre_total = (pre.get("cpu_usage") or {}).get("total_usage")
    system, pre_system = cpu.get("system_cpu_usage"), pre.get("system_cpu_usage")
    if total is None or pre_total is None or system is None or pre_system is None:
        return None
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [1])
    delta, system_delta = float(total) - float(pre_total), float(system) - float(pre_system)
    if system_delta <= 0 or delta < 0:
        return 0.0
    return round(delta / system_delta * float(cpus) * 100.0, 2)


def memory(stats: dict[str, Any]) -> tuple[int | None, int | None]:
    """(usage without page cache, limit) in bytes, as `docker stats` shows them."""
    mem = stats.get("memory_stats") or {}
    usage = mem.get("usage")
    if usage is None:
        return None, mem.get("limit")
    detail = mem.get("stats") or {}
    cache = detail.get("inactive_file", detail.get("total_inactive_file", detail.get("cache", 0)))
    return max(int(usage) - int(cache or 0), 0), mem.get("limit")


def network(stats: dict[str, Any]) -> tuple[int, int] | None:
    """(rx, tx) bytes over every interface; None when the container has no network."""
    nets = stats.get("networks")
    if not nets:
        return None
    return (
        sum(int(n.get("rx_bytes") or 0) for n in nets.values()),
        sum(int(n.get("tx_bytes") or 0) for n in nets.values()),
    )


def human_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{value}B"  # pragma: no cover


def stats_row(name: str, stats: dict[str, Any]) -> dict[str, Any]:
    usage, limit = memory(stats)
    net = network(stats)
    return {
        "name": name,
        "cpu_percent": cpu_percent(stats),
        "memory_bytes": usage,
        "memory_limit_bytes": limit,
        "net_rx_bytes": net[0] if net else None,
        "net_tx_bytes": net[1] if net else None,
    }


def stats_table(rows: list[dict[str, Any]]) -> str:
    def cpu(r: dict[str, Any]) -> str:
        return "-" if r["cpu_percent"] is None else f"{r['cpu_percent']:.2f}%"

    def net(r: dict[str, Any]) -> str:
        if r["net_rx_bytes"] is None:
            return "- (no network)"
        return f"{human_bytes(r['net_rx_bytes'])} / {human_bytes(r['net_tx_bytes'])}"

    return table(
        ["NAME", "CPU %", "MEM USAGE / LIMIT", "NET I/O"],
        [
            [
                r["name"],
                cpu(r),
                f"{human_bytes(r['memory_bytes'])} / {human_bytes(r['memory_limit_bytes'])}",
                net(r),
            ]
            for r in rows
        ],
    )


def docker_stats(b: DockerBackend, op: DockerStats) -> Result:
    if op.container is not None:
        targets = [op.container]
        call = b._call_text(op, f"GET /containers/{op.container}/stats?stream=0")
    else:
        listing = b._call_text(op, "GET /containers/json")
        raw = b._request(op, listing, lambda c: c.containers(all=False))
        targets = sorted(container_name(r.get("Names"), str(r.get("Id", ""))[:12]) for r in raw)
        call = listing + "; GET /containers/{name}/stats?stream=0 for each"
    cut = len(targets) > MAX_STATS_CONTAINERS
    targets = targets[:MAX_STATS_CONTAINERS]
    if not targets:
        data: dict[str, Any] = {"host": op.host, "containers": []}
        return Result(status=Status.NO_DATA, call=call, data=data, text="no running containers")

    def sample(name: str) -> dict[str, Any]:
        one = b._call_text(op, f"GET /containers/{name}/stats?stream=0")
        return stats_row(name, b._request(op, one, lambda c: c.stats(name, stream=False)))

    with ThreadPoolExecutor(max_workers=min(STATS_WORKERS, len(targets))) as pool:
        rows = list(pool.map(sample, targets))
    text = redact(stats_table(rows))
    if cut:
        text += f"\n… [only the first {MAX_STATS_CONTAINERS} containers sampled]"
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={"host": op.host, "containers": rows},
        text=text,
        truncated=cut,
    )


def docker_top(b: DockerBackend, op: DockerTop) -> Result:
    call = b._call_text(op, f"GET /containers/{op.container}/top")
    raw = b._request(op, call, lambda c: c.top(op.container))
    titles = [str(t) for t in raw.get("Titles") or []]
    processes = [[redact(str(cell)) for cell in p] for p in raw.get("Processes") or []]
    data = {
        "host": op.host,
        "container": op.container,
        "titles": titles,
        "processes": [dict(zip(titles, p, strict=False)) for p in processes],
    }
    if not processes:
        return Result(status=Status.NO_DATA, call=call, data=data, text="no processes")
    text, cut = truncate(
        table(titles, processes), max_chars=b._settings.max_output_chars, keep="head"
    )
    return Result(status=Status.SUCCESS, call=call, data=data, text=text, truncated=cut)
