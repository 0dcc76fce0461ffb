"""/healthz, /readyz and /metrics of a running endpoint server, against real dependencies:
redis-server (up, refused, hanging), the real Kubernetes API server and a real dockerd."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.config import Settings
from bot.endpoints import CachedReadiness, readiness_from_wiring, run_checks, start_endpoints
from bot.wiring import build
from tests.fixtures.services import RealCluster


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a hung dependency)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def _settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "http_host": "127.0.0.1",
        "http_port": 0,
        "kube_disabled": True,
        "docker_disabled": True,
    }
    return Settings(**{**base, **overrides})


def _serve(settings: Settings, *, timeout: float = 3.0) -> Any:
    wiring = build(settings)
    return start_endpoints(
        settings=settings, readiness=readiness_from_wiring(wiring, timeout=timeout)
    )


def test_ready_with_redis_up_and_all_three_endpoints_answer(redis_url: str) -> None:
    server = _serve(_settings(redis_url=redis_url))
    try:
        assert server.host == "127.0.0.1" and server.port > 0
        status, ctype, body = _get(server.url + "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert ctype == "application/json"
        status, _, body = _get(server.url + "/readyz")
        assert status == 200, body
        assert json.loads(body)["checks"]["redis"] is None
        status, ctype, body = _get(server.url + "/metrics")
        assert status == 200 and ctype.startswith("text/plain"), ctype
        for name in metrics.METRIC_NAMES:
            assert f"# HELP {name.removesuffix('_total')}" in body, name
        assert "process_cpu_seconds_total" in body
        status, _, body = _get(server.url + "/nope")
        assert status == 404 and "/readyz" in body
    finally:
        server.stop()


def test_not_ready_with_redis_down_names_redis_and_stays_alive() -> None:
    server = _serve(_settings(redis_url=f"redis://:hunter2secret@127.0.0.1:{_closed_port()}/0"))
    try:
        status, _, body = _get(server.url + "/readyz")
        assert status == 503, body
        answer = json.loads(body)
        assert answer["status"] == "not ready"
        assert list(answer["down"]) == ["redis"]
        assert "ConnectionError" in answer["down"]["redis"]
        assert "hunter2secret" not in body
        assert _get(server.url + "/healthz")[0] == 200
        assert _get(server.url + "/metrics")[0] == 200
    finally:
        server.stop()


def test_a_hanging_redis_makes_readyz_answer_503_within_the_deadline(silent_server: int) -> None:
    server = _serve(_settings(redis_url=f"redis://127.0.0.1:{silent_server}/0"), timeout=0.5)
    try:
        status, _, body = _get(server.url + "/readyz")  # the client's timeout guards a hang
        assert status == 503
        assert json.loads(body)["down"] == {"redis": "no answer within 0.5 s"}
    finally:
        server.stop()


def test_readyz_checks_each_configured_backend(
    redis_url: str,
    real_k8s: RealCluster,
    docker_host: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    up = _settings(
        redis_url=redis_url,
        kube_disabled=False,
        kube_context="admin",
        docker_disabled=False,
        docker_hosts={"default": docker_host},
    )
    server = _serve(up, timeout=15)  # the first Kubernetes call loads the client (~1.5 s)
    try:
        status, _, body = _get(server.url + "/readyz")
        checks = json.loads(body)["checks"]
        assert status == 200, body
        assert {"redis", "kubernetes", "docker"} <= set(checks), checks
    finally:
        server.stop()

    down = up.model_copy(
        update={"docker_hosts": {"default": f"unix:///nonexistent/{_closed_port()}.sock"}}
    )
    server = _serve(down, timeout=15)
    try:
        status, _, body = _get(server.url + "/readyz")
        answer = json.loads(body)
        assert status == 503, body
        assert list(answer["down"]) == ["docker"], answer
        assert answer["checks"]["kubernetes"] is None and answer["checks"]["redis"] is None
    finally:
        server.stop()


def test_metrics_helpers_show_up_in_the_exposition(redis_url: str) -> None:
    def value(text: str, name: str, labels: dict[str, str]) -> float:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    server = _serve(_settings(redis_url=redis_url))
    try:
        before = _get(server.url + "/metrics")[2]
        metrics.record_request("slash_command")
        metrics.record_plan("needs_approval")
        metrics.observe_approval_wait(42.0)
        metrics.record_execution(operation="scale_deployment", result="success", seconds=0.3)
        metrics.record_llm_usage(
            model="gpt-4o-mini", input_tokens=120, output_tokens=30, cost_usd=0.002
        )
        metrics.record_slack_error(method="chat.postMessage", error="channel_not_found")
        metrics.record_slack_retry(method="chat.postMessage", reason="rate_limited")
        metrics.record_report_run(schedule="morning", result="posted")
        after = _get(server.url + "/metrics")[2]
    finally:
        server.stop()
    expected = [
        ("opsbot_requests_total", {"source": "slash_command"}, 1),
        ("opsbot_plans_total", {"decision": "needs_approval"}, 1),
        ("opsbot_approval_wait_seconds_count", {}, 1),
        ("opsbot_approval_wait_seconds_sum", {}, 42.0),
        ("opsbot_executions_total", {"operation": "scale_deployment", "result": "success"}, 1),
        ("opsbot_execution_duration_seconds_count", {"operation": "scale_deployment"}, 1),
        ("opsbot_llm_tokens_total", {"model": "gpt-4o-mini", "kind": "input"}, 120),
        ("opsbot_llm_tokens_total", {"model": "gpt-4o-mini", "kind": "output"}, 30),
        ("opsbot_llm_cost_usd_total", {"model": "gpt-4o-mini"}, 0.002),
        (
            "opsbot_slack_api_errors_total",
            {"method": "chat.postMessage", "error": "channel_not_found"},
            1,
        ),
        ("opsbot_slack_retries_total", {"method": "chat.postMessage", "reason": "rate_limited"}, 1),
        ("opsbot_report_runs_total", {"schedule": "morning", "result": "posted"}, 1),
    ]
    for name, labels, delta in expected:
        got = value(after, name, labels) - value(before, name, labels)
        assert got == pytest.approx(delta), (name, labels, got)


def test_run_checks_reports_exceptions_as_reasons_without_secrets() -> None:
    def broken() -> str | None:
        raise RuntimeError("boom password=s3cr3t-value")

    results = run_checks({"fine": lambda: None, "broken": broken}, timeout=1)
    assert results["fine"] is None
    assert results["broken"] is not None and results["broken"].startswith("RuntimeError: boom")
    assert "s3cr3t-value" not in results["broken"]


def test_port_in_use_gives_an_actionable_error(redis_url: str) -> None:
    first = _serve(_settings(redis_url=redis_url))
    try:
        with pytest.raises(OSError, match="OPSBOT_HTTP_PORT"):
            _serve(_settings(redis_url=redis_url, http_port=first.port))
    finally:
        first.stop()


def _closed_by_server_within(url_port: int, seconds: float, *, send: bytes = b"") -> float:
    """Connect, send `send` (maybe nothing), then wait for the server to hang up; returns how
    long that took. Fails when the server keeps the connection open past `seconds`."""
    with socket.create_connection(("127.0.0.1", url_port), timeout=seconds) as sock:
        started = time.monotonic()
        if send:
            sock.sendall(send)
        try:
            data = sock.recv(1024)
        except TimeoutError as exc:
            raise AssertionError(f"server kept a connection open over {seconds} s") from exc
        elapsed = time.monotonic() - started
    assert data == b"", data
    return elapsed


def test_a_connection_that_sends_nothing_is_closed_after_the_timeout() -> None:
    server = start_endpoints(settings=_settings(), readiness=dict, request_timeout=0.3)
    try:
        assert _closed_by_server_within(server.port, 5) >= 0.25
        half = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"  # headers never finished
        assert _closed_by_server_within(server.port, 5, send=half) >= 0.25
        assert _get(server.url + "/healthz")[0] == 200  # still serving
    finally:
        server.stop()


def test_readyz_polled_quickly_checks_redis_once_or_twice(
    redis_url: str, redis_client: Any
) -> None:
    """20 probes in a row answer from a cached result: Redis itself counts the PINGs."""
    server = _serve(_settings(redis_url=redis_url))
    try:
        redis_client.config_resetstat()
        for _ in range(20):
            status, _, body = _get(server.url + "/readyz")
            assert status == 200, body
        pings = redis_client.info("commandstats").get("cmdstat_ping", {}).get("calls", 0)
        assert 1 <= pings <= 2, pings
    finally:
        server.stop()


def test_a_hung_check_is_awaited_again_not_started_again() -> None:
    release = threading.Event()
    started: list[float] = []

    def hung() -> str | None:
        started.append(time.monotonic())
        release.wait(10)
        return None

    readiness = CachedReadiness({"hung": hung, "fine": lambda: None}, timeout=0.05, ttl=0)
    alive: list[threading.Thread] = []
    try:
        for _ in range(5):
            assert readiness() == {"hung": "no answer within 0.05 s", "fine": None}
        assert len(started) == 1
        alive += [t for t in threading.enumerate() if t.name == "opsbot-readyz-hung"]
        assert len(alive) == 1
    finally:
        release.set()
    for thread in alive:
        thread.join(timeout=5)
    assert readiness() == {"hung": None, "fine": None}  # answered now: checked afresh
    assert len(started) == 2
