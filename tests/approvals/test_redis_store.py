"""What only the Redis store must do: survive bot and redis-server restarts, age records out,
refuse tampered records, and fail closed (StoreUnavailable, never a hang) when Redis is gone."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest
import redis

from bot.approvals import (
    ApprovalState,
    RedisApprovalStore,
    StoreUnavailable,
    VoteResult,
    connect,
)
from bot.approvals.models import Executed, Interrupted
from bot.approvals.redis_store import PENDING_GRACE_SECONDS, TERMINAL_TTL_SECONDS
from bot.models import MessageRef
from tests.approvals.helpers import (
    T0,
    counted,
    make_approval,
    ran,
    requirement,
    vote,
    withdraw,
)
from tests.fixtures.services import start_redis

SOON = T0 + timedelta(seconds=1)
MESSAGE = MessageRef(platform="slack", channel="C-ops", ts="1700000000.000300")


def test_pending_approvals_survive_a_bot_restart(redis_client: redis.Redis, redis_url: str) -> None:
    prefix = f"r{uuid.uuid4().hex[:6]}"
    first_client = connect(redis_url)
    before = RedisApprovalStore(first_client, prefix=prefix)
    approval = make_approval(
        requirements=[requirement(2, "sre"), requirement(1, "dba")], message=MESSAGE
    )
    before.create(approval)
    vote(before, approval.id, voter_id="U-a", digest=approval.digest, counts_for=[0], now=SOON)
    vote(before, approval.id, voter_id="U-b", digest=approval.digest, counts_for=[1], now=SOON)
    first_client.close()

    # a new process would build a new client and store; this one decodes responses to str
    after = RedisApprovalStore(
        redis.Redis.from_url(redis_url, decode_responses=True), prefix=prefix
    )
    restored = after.get(approval.id)
    assert restored is not None
    assert counted(restored).votes == {"U-a": [0], "U-b": [1]}
    assert restored.model_copy(update={"ballots": {}, "ballots_version": 0}) == approval
    assert [a.id for a in after.list_pending()] == [approval.id]
    assert after.find_by_message(MESSAGE) == approval.id
    done = vote(
        after, approval.id, voter_id="U-c", digest=approval.digest, counts_for=[0], now=SOON
    )
    assert (done.result, done.tally) == (VoteResult.EXECUTE, [2, 1])


def test_pending_approvals_and_event_claims_survive_a_redis_server_crash(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "aof", appendonly=True)
    try:
        store = RedisApprovalStore(connect(server.url))
        approval = make_approval(requirements=[requirement(2, "sre")], message=MESSAGE)
        store.create(approval)
        vote(store, approval.id, voter_id="U-a", digest=approval.digest, counts_for=[0], now=SOON)
        assert store.claim_event("slack:Ev1", ttl_seconds=600) is True

        server.kill()  # SIGKILL: only what reached the append-only file survives
        server.start()

        # the same store object reconnects; its scripts are re-loaded into the new server
        restored = store.get(approval.id)
        assert restored is not None
        assert (restored.state, counted(restored).votes) == (ApprovalState.PENDING, {"U-a": [0]})
        assert store.claim_event("slack:Ev1", ttl_seconds=600) is False
        assert store.find_by_message(MESSAGE) == approval.id
        out = vote(
            store, approval.id, voter_id="U-b", digest=approval.digest, counts_for=[0], now=SOON
        )
        assert out.result is VoteResult.EXECUTE
    finally:
        server.stop()


def test_records_age_out_pending_after_expiry_plus_grace_terminal_after_a_week(
    redis_client: redis.Redis, redis_url: str
) -> None:
    prefix = f"ttl{uuid.uuid4().hex[:6]}"
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    # created now (not at import): Redis counts the TTL down on its own, real clock
    t0 = datetime.now(UTC).replace(microsecond=0)
    soon = t0 + timedelta(seconds=1)
    approval = make_approval(requirements=[requirement(2, "sre")], ttl_seconds=600, created_at=t0)
    store.create(approval)
    store.bind_message(approval.id, MESSAGE)
    vote(store, approval.id, voter_id="U-a", digest=approval.digest, counts_for=[0], now=soon)
    keys = [
        f"{{{prefix}}}:approval:{approval.id}",
        f"{{{prefix}}}:approval:{approval.id}:votes",
        f"{{{prefix}}}:msg:{MESSAGE.key}",
    ]

    pending_ttls = [redis_client.ttl(key) for key in keys]
    lowest = PENDING_GRACE_SECONDS + 600 - 120  # generous for a slow test machine
    assert all(lowest < ttl <= PENDING_GRACE_SECONDS + 600 for ttl in pending_ttls), pending_ttls

    vote(store, approval.id, voter_id="U-b", digest=approval.digest, counts_for=[0], now=soon)
    store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval))
    done_ttls = [redis_client.ttl(key) for key in keys]
    assert all(TERMINAL_TTL_SECONDS - 60 < ttl <= TERMINAL_TTL_SECONDS for ttl in done_ttls)
    assert redis_client.zcard(f"{{{prefix}}}:pending") == 0


def test_a_record_whose_plan_was_altered_in_redis_is_refused_on_read(
    redis_client: redis.Redis, redis_url: str
) -> None:
    prefix = f"tamper{uuid.uuid4().hex[:6]}"
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    approval = make_approval(replicas=5)
    store.create(approval)
    key = f"{{{prefix}}}:approval:{approval.id}"
    doc = json.loads(redis_client.hget(key, "doc"))
    doc["plan"]["steps"][0]["replicas"] = 500
    redis_client.hset(key, "doc", json.dumps(doc))

    with pytest.raises(pydantic.ValidationError, match="digest does not match"):
        store.get(approval.id)


@pytest.mark.timeout(60)
def test_every_call_fails_closed_with_store_unavailable_when_redis_is_down(
    tmp_path: Path,
) -> None:
    server = start_redis(tmp_path / "down", appendonly=False)
    store = RedisApprovalStore(connect(server.url, timeout_seconds=1))
    approval = make_approval()
    store.create(approval)
    server.stop()

    digest = approval.digest
    calls = {
        "ping": lambda: store.ping(),
        "get": lambda: store.get(approval.id),
        "create": lambda: store.create(make_approval()),
        "vote": lambda: vote(
            store, approval.id, voter_id="U-a", digest=digest, counts_for=[0], now=SOON
        ),
        "withdraw": lambda: withdraw(store, approval.id, voter_id="U-a"),
        "reject": lambda: store.reject(approval.id, by="U-a", digest=digest, now=SOON),
        "refuse": lambda: store.refuse(approval.id, by="U-a", reasons=[]),
        "finish": lambda: store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval)),
        "expire_due": lambda: store.expire_due(SOON),
        "interrupt_stale": lambda: store.interrupt_stale(SOON, older_than_seconds=60),
        "list_pending": lambda: store.list_pending(),
        "claim_event": lambda: store.claim_event("slack:Ev1"),
        "bind_message": lambda: store.bind_message(approval.id, MESSAGE),
        "find_by_message": lambda: store.find_by_message(MESSAGE),
    }
    for name, call in calls.items():
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{server.port}") as caught:
            call()
        assert "redis-server is running" in str(caught.value), name


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.timeout(30)
def test_a_hung_redis_times_out_as_store_unavailable(silent_server: int) -> None:
    store = RedisApprovalStore(connect(f"redis://127.0.0.1:{silent_server}/0", timeout_seconds=0.3))
    with pytest.raises(StoreUnavailable, match="Timeout"):
        vote(store, "a1", voter_id="U-a", digest="0" * 64, counts_for=[0], now=SOON)


@pytest.mark.timeout(30)
def test_the_redis_password_never_appears_in_the_error(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "pw", appendonly=False)
    server.stop()  # the port is now closed
    store = RedisApprovalStore(connect(f"redis://:hunter2-secret@127.0.0.1:{server.port}/0"))
    with pytest.raises(StoreUnavailable) as caught:
        store.ping()
    assert "hunter2" not in str(caught.value)
    assert f"127.0.0.1:{server.port}" in str(caught.value)


def test_records_of_the_previous_version_read_their_result_summary_as_an_outcome(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """Before `outcome`, the hash kept `result_summary`: an ExecutionReport as JSON, or the
    interrupted note. Such records still read as Executed / Interrupted."""
    prefix = f"old{uuid.uuid4().hex[:6]}"
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    done, cut = make_approval(), make_approval()
    for approval, summary in (
        (done, ran(done).model_dump_json()),
        (cut, "interrupted: the bot stopped while this plan was running"),
    ):
        store.create(approval)
        redis_client.hset(
            f"{{{prefix}}}:approval:{approval.id}",
            mapping={"state": "done", "result_summary": summary},
        )
    read_done, read_cut = store.get(done.id), store.get(cut.id)
    assert read_done is not None and read_done.outcome == Executed(report=ran(done))
    assert read_cut is not None and read_cut.outcome == Interrupted(
        note="interrupted: the bot stopped while this plan was running"
    )
