"""Health report on a big cluster: 10,000 pods, 1,000 deployments and 50,000 events on the
Kubernetes API test server, against simply listing the same pods with the kubernetes client.

    uv run python bench/bench_health.py [--pods 10000] [--deployments 1000] [--events 50000]

The API test server runs in its own process, so time and memory (tracemalloc peak) are the
client side only. Measured in the same run:
  list pods        CoreV1Api.list_pod_for_all_namespaces(): one unpaged call, typed models
  health report    ReportBuilder.build(): nodes, pods (paged, status.phase!=Succeeded),
                   deployments (paged), Warning events (paged, type=Warning), grouped
Ratios are report / list-pods. Time is the best of --repeat runs without tracemalloc; peak
memory is one run under tracemalloc.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubernetes import client, config

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.scope import ReportScope

NAMESPACES = 20


def _serve(counts: dict[str, int], ready: Any, stop: Any) -> None:
    """Child process: seed the test server, hand back the kubeconfig path, serve until stop."""
    from tests.fakes.k8s_api import FakeKubeAPI

    fake = FakeKubeAPI().start()
    started = time.perf_counter()
    for d in range(counts["deployments"]):
        fake.add_deployment(f"ns-{d % NAMESPACES}", f"dep-{d}", replicas=3)
    for i in range(counts["pods"]):
        ns = f"ns-{i % NAMESPACES}"
        if i % 50 == 0:
            fake.add_pod(ns, f"pod-{i}", restarts=8, waiting_reason="CrashLoopBackOff")
        elif i % 97 == 0:
            fake.add_pod(ns, f"pod-{i}", phase="Pending")
        elif i % 10 == 0:
            fake.add_pod(ns, f"pod-{i}", phase="Succeeded")
        else:
            fake.add_pod(ns, f"pod-{i}", restarts=i % 3)
    reasons = ("BackOff", "FailedScheduling", "Unhealthy", "FailedMount")
    for e in range(counts["events"]):
        warning = e % 5 == 0
        fake.add_event(
            f"ns-{e % NAMESPACES}",
            object_kind="Pod",
            object_name=f"pod-{e % counts['pods']}",
            reason=reasons[e % len(reasons)] if warning else "Pulled",
            message="Back-off restarting failed container" if warning else "pulled",
            type="Warning" if warning else "Normal",
            age_seconds=float(e % 7200),
        )
    path = Path(tempfile.mkdtemp(prefix="bench-health-")) / "kubeconfig.yaml"
    fake.write_kubeconfig(path)
    ready.put((str(path), time.perf_counter() - started))
    stop.wait()
    fake.stop()


def _measure(fn: Callable[[], Any], *, repeat: int) -> tuple[float, float, Any]:
    """(best seconds, peak MiB under tracemalloc, last result)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    result = None
    gc.collect()
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    counts = {"pods": args.pods, "deployments": args.deployments, "events": args.events}

    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(counts, ready, stop), daemon=True)
    server.start()
    try:
        kubeconfig, seed_seconds = ready.get(timeout=600)
        run(kubeconfig, counts=counts, seed_seconds=seed_seconds, repeat=args.repeat)
    finally:
        stop.set()
        server.join(10)


def run(kubeconfig: str, *, counts: dict[str, int], seed_seconds: float, repeat: int) -> None:
    def api() -> client.ApiClient:
        made: client.ApiClient = config.new_client_from_config(
            config_file=kubeconfig, context="admin"
        )
        return made

    core = client.CoreV1Api(api())
    core.list_namespaced_pod("ns-0", limit=1)  # warm up: client modules, connection
    builder = ReportBuilder(
        settings=Settings(docker_disabled=True, kube_timeout_seconds=60),
        api_client_factory=lambda ctx: api(),
    )
    scope = ReportScope(docker=False, host=False)
    builder.build(scope.model_copy(update={"namespaces": ["ns-0"]}))  # warm up

    list_s, list_mb, pods = _measure(
        lambda: len(core.list_pod_for_all_namespaces(_request_timeout=120).items), repeat=repeat
    )
    report_s, report_mb, report = _measure(lambda: builder.build(scope), repeat=repeat)

    print(
        f"cluster: {counts['pods']:,} pods, {counts['deployments']:,} deployments, "
        f"{counts['events']:,} events (seeded in {seed_seconds:.1f}s, server in its own process)"
    )
    print()
    print(f"{'workload':<16}{'time (s)':>10}{'peak MiB':>10}{'time ratio':>12}{'mem ratio':>11}")
    print(f"{'list pods':<16}{list_s:>10.2f}{list_mb:>10.1f}{1.0:>12.2f}{1.0:>11.2f}")
    print(
        f"{'health report':<16}{report_s:>10.2f}{report_mb:>10.1f}"
        f"{report_s / list_s:>12.2f}{report_mb / list_mb:>11.2f}"
    )
    print()
    counts_by = report.counts()
    print(
        f"listed pods: {pods:,} (all phases); report: {report.counters.get('pods', 0):,} pods "
        f"not Succeeded, {report.counters.get('deployments', 0):,} deployments, "
        f"{report.counters.get('warning_events_listed', 0):,} Warning events listed, "
        f"{len(report.findings)} findings kept + {sum(o.count for o in report.omitted)} counted"
        f" ({', '.join(f'{n} {s.value}' for s, n in counts_by.items())}), score {report.score}"
    )
    if report.notes:
        print("notes: " + "; ".join(report.notes))


if __name__ == "__main__":
    main()
