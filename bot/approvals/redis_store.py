"""The approval store in Redis: shared by every bot replica, survives bot restarts, and makes
every state transition one atomic Lua script (see redis_scripts.py for the key layout)."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script

from bot.approvals import redis_scripts
from bot.approvals.clock import to_epoch
from bot.approvals.errors import ApprovalNotFound, InvalidTransition, TooManyPending
from bot.approvals.models import (
    ApprovalState,
    Ballot,
    Executed,
    Interrupted,
    PendingApproval,
    Refused,
    VoteOutcome,
    VoteResult,
)
from bot.approvals.store import StoreUnavailable
from bot.models import MessageRef
from bot.redis_url import RedisClient, connect, default_ack_replicas, run_acknowledged, where
from bot.run_report import ExecutionReport

TERMINAL_TTL_SECONDS = 7 * 86400
PENDING_GRACE_SECONDS = 86400
_DYNAMIC_FIELDS = {
    "state",
    "votes",
    "ballots",
    "ballots_version",
    "decided_by",
    "outcome",
    "result_summary",  # written by versions before `outcome`; read by `_legacy_outcome`
    "message",
}
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,  # a cluster without a master for the slot (failing over)
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.MovedError,  # the slot moved while a WAIT pipeline ran on the old node
)
DEFAULT_ACK_TIMEOUT_MS = 500
log = logging.getLogger("opsbot.approvals.redis")

__all__ = ["RedisApprovalStore", "connect"]


class NotAcknowledged(Exception):
    """No replica acknowledged a write that decides an execution within the timeout."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _platforms_arg(platforms: Collection[str] | None) -> str:
    return "*" if platforms is None else ",".join(sorted(platforms))


def _ballot_value(ballot: Ballot) -> str:
    """`<event time us> <1|0> <json>`: the script compares the time and reads the flag."""
    return f"{ballot.at_us} {int(ballot.approve)} {ballot.model_dump_json()}"


def _ballot(value: str) -> Ballot:
    return Ballot.model_validate_json(value.split(" ", 2)[2])


def _outcome(reply: Any) -> VoteOutcome:
    result, state, _ = reply
    state_text = _text(state)
    return VoteOutcome(
        result=VoteResult(_text(result)), state=ApprovalState(state_text) if state_text else None
    )


class RedisApprovalStore:
    """ApprovalStore on Redis. Build the client with `connect(url)` (or any client with socket
    timeouts set): Redis connection errors and timeouts raise StoreUnavailable.

    Every key is under the hash tag `{prefix}` (one Cluster slot, see redis_scripts.py).
    `ack_replicas` > 0: create, the start of an execution and its result wait (WAIT) until
    that many replicas hold them, at most `ack_timeout_ms`. A start no replica acknowledged is
    taken back and the voter told to vote again (StoreUnavailable), so a failover to a replica
    that never saw it cannot start the plan a second time."""

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str = "opsbot",
        terminal_ttl_seconds: int = TERMINAL_TTL_SECONDS,
        pending_grace_seconds: int = PENDING_GRACE_SECONDS,
        ack_replicas: int = 0,
        ack_timeout_ms: int = DEFAULT_ACK_TIMEOUT_MS,
    ) -> None:
        if "{" in prefix or "}" in prefix or not prefix:
            raise ValueError(
                f"OPSBOT_KEY_PREFIX={prefix!r}: use a non-empty prefix without braces "
                "(opsbot wraps it in a Redis Cluster hash tag itself)"
            )
        self._client = client
        self._prefix = f"{{{prefix}}}"
        self._ack_replicas = ack_replicas
        self._ack_timeout_ms = ack_timeout_ms
        self._terminal_ttl_ms = str(terminal_ttl_seconds * 1000)
        self._grace_ms = pending_grace_seconds * 1000
        self._create = client.register_script(redis_scripts.CREATE)
        self._bind = client.register_script(redis_scripts.BIND_MESSAGE)
        self._record = client.register_script(redis_scripts.RECORD_BALLOT)
        self._try_execute = client.register_script(redis_scripts.TRY_EXECUTE)
        self._close = client.register_script(redis_scripts.CLOSE)
        self._finish = client.register_script(redis_scripts.FINISH)
        self._expire_due = client.register_script(redis_scripts.EXPIRE_DUE)
        self._interrupt_stale = client.register_script(redis_scripts.INTERRUPT_STALE)
        self._unstart = client.register_script(redis_scripts.UNSTART)
        self._claim_event = client.register_script(redis_scripts.CLAIM_EVENT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "opsbot",
        ack_replicas: int | None = None,
        ack_timeout_ms: int = DEFAULT_ACK_TIMEOUT_MS,
    ) -> RedisApprovalStore:
        """`ack_replicas` None: 1 for Sentinel and Cluster URLs, 0 for one server."""
        return cls(
            connect(url),
            prefix=prefix,
            ack_replicas=default_ack_replicas(url) if ack_replicas is None else ack_replicas,
            ack_timeout_ms=ack_timeout_ms,
        )

    def _acknowledged(self, script: Script, keys: Sequence[str], args: Sequence[str]) -> Any:
        """Run `script`, then WAIT on the same connection (WAIT counts the replicas holding
        this connection's writes) when acknowledgements are required. Raise NotAcknowledged
        (carrying the reply) when fewer replicas than required confirm in time."""
        try:
            reply, acked = run_acknowledged(
                self._client,
                script,
                keys,
                args,
                replicas=self._ack_replicas,
                timeout_ms=self._ack_timeout_ms,
            )
        except _UNAVAILABLE:
            self._refresh_topology()
            raise
        if acked < self._ack_replicas:
            raise NotAcknowledged(reply, acked)
        return reply

    def _refresh_topology(self) -> None:
        """After a node failed under a pinned pipeline, let the cluster client re-learn the
        slot map (it does so itself for ordinary commands)."""
        if isinstance(self._client, RedisCluster):
            try:
                self._client.nodes_manager.initialize()
            except redis.exceptions.RedisError as exc:
                log.info("cluster topology not refreshed yet: %s", exc)

    def _not_acknowledged(self, what: str, acked: int) -> str:
        return (
            f"approval store unavailable: {what} was confirmed by {acked} of "
            f"{self._ack_replicas} required Redis replica(s) within {self._ack_timeout_ms} ms, "
            "so a failover could forget it"
        )

    # ------------------------------------------------------------------------------ keys

    def _hash(self, approval_id: str) -> str:
        return f"{self._prefix}:approval:{approval_id}"

    def _votes(self, approval_id: str) -> str:
        return f"{self._prefix}:approval:{approval_id}:votes"

    def _msg(self, message: MessageRef) -> str:
        return f"{self._prefix}:msg:{message.key}"

    def _event(self, key: str) -> str:
        return f"{self._prefix}:event:{key}"

    @property
    def _pending(self) -> str:
        return f"{self._prefix}:pending"

    @property
    def _executing(self) -> str:
        return f"{self._prefix}:executing"

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(
                f"approval store unavailable: could not {action} in Redis at "
                f"{where(self._client)} "
                f"({type(exc).__name__}: {exc}). Nothing was executed; check that redis-server "
                "is running and REDIS_URL points at it, then retry."
            ) from exc
        except redis.exceptions.ReadOnlyError as exc:
            raise StoreUnavailable(
                f"approval store unavailable: Redis is read-only (a replica?) and could not "
                f"{action} ({exc}). Point REDIS_URL at the primary (or use redis+sentinel://)."
            ) from exc

    # ------------------------------------------------------------------------- protocol

    def create(self, approval: PendingApproval, *, max_pending: int | None = None) -> None:
        if approval.state is not ApprovalState.PENDING or approval.votes or approval.ballots:
            raise InvalidTransition(
                f"create() takes a fresh pending approval without votes; {approval.id} is "
                f"{approval.state} with {len(approval.ballots)} ballot(s)"
            )
        expires = to_epoch(approval.expires_at)
        fields: dict[str, str] = {
            "doc": approval.model_dump_json(exclude=_DYNAMIC_FIELDS),
            "state": ApprovalState.PENDING.value,
            "digest": approval.digest,
            "requester": approval.requester.id,
            "expires_at": repr(expires),
            "bv": "0",
        }
        message_key = ""
        keys = [self._hash(approval.id), self._votes(approval.id), self._pending]
        if approval.message is not None:
            message_key = self._msg(approval.message)
            fields["message"] = approval.message.model_dump_json()
            fields["message_key"] = message_key
            keys.append(message_key)
        flat = [part for pair in fields.items() for part in pair]
        pexpireat_ms = str(int(expires * 1000) + self._grace_ms)
        args = [
            approval.id,
            repr(expires),
            pexpireat_ms,
            "",
            approval.requester.id,
            "" if max_pending is None else str(max_pending),
            repr(to_epoch(approval.created_at)),
            f"{self._prefix}:approval:",
        ]
        with self._guard("create an approval"):
            try:
                created = self._acknowledged(self._create, keys, [*args, *flat])
            except NotAcknowledged as exc:
                if exc.args[0] == 1:
                    self._close_raw(approval.id, by="", digest="", now="", state="cancelled")
                raise StoreUnavailable(
                    self._not_acknowledged(f"the new approval {approval.id}", exc.args[1])
                    + "; it was cancelled, nothing was executed: ask again"
                ) from exc
        if isinstance(created, list):
            raise TooManyPending(int(created[0]))
        if not created:
            raise InvalidTransition(f"an approval with id {approval.id} already exists")

    def get(self, approval_id: str) -> PendingApproval | None:
        with self._guard("read an approval"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hgetall(self._hash(approval_id))
            pipe.hgetall(self._votes(approval_id))
            fields, votes = pipe.execute()
        return _decode(fields, votes)

    def bind_message(self, approval_id: str, message: MessageRef) -> None:
        with self._guard("bind a message"):
            bound = self._bind(
                keys=[self._hash(approval_id), self._msg(message)],
                args=[approval_id, self._msg(message), message.model_dump_json()],
            )
        if not bound:
            raise ApprovalNotFound(f"cannot bind a message: no approval {approval_id}")

    def find_by_message(self, message: MessageRef) -> str | None:
        with self._guard("look up a message"):
            found = self._client.get(self._msg(message))
        return None if found is None else _text(found)

    def record_ballot(
        self,
        approval_id: str,
        *,
        ballot: Ballot,
        digest: str | None,
        now: datetime,
        event_key: str | None = None,
        event_owner: str | None = None,
    ) -> VoteOutcome:
        with self._guard("record a vote"):
            reply = self._record(
                keys=[
                    self._hash(approval_id),
                    self._votes(approval_id),
                    self._pending,
                    *([self._event(event_key)] if event_key else []),
                ],
                args=[
                    approval_id,
                    ballot.voter.id,
                    digest or "",
                    repr(to_epoch(now)),
                    self._terminal_ttl_ms,
                    _ballot_value(ballot),
                    str(ballot.at_us),
                    "1" if ballot.approve else "0",
                    event_owner or "",
                    "86400",
                ],
            )
        return _outcome(reply)

    def try_execute(
        self, approval_id: str, *, ballots_version: int, by: str, now: datetime
    ) -> VoteOutcome:
        keys = [self._hash(approval_id), self._votes(approval_id), self._pending, self._executing]
        args = [approval_id, str(ballots_version), by, repr(to_epoch(now)), self._terminal_ttl_ms]
        with self._guard("start an approved plan"):
            try:
                reply = self._acknowledged(self._try_execute, keys, args)
            except NotAcknowledged as exc:
                if _text(exc.args[0][0]) != VoteResult.EXECUTE.value:
                    return _outcome(exc.args[0])  # nothing started: nothing to take back
                undone = self._unstart(keys=keys, args=[approval_id, by, str(self._grace_ms)])
                raise StoreUnavailable(
                    self._not_acknowledged(f"the start of approval {approval_id}", exc.args[1])
                    + (
                        "; the start and this vote were taken back and nothing was executed"
                        if undone
                        else "; nothing was executed"
                    )
                ) from exc
        return _outcome(reply)

    def reject(self, approval_id: str, *, by: str, digest: str, now: datetime) -> VoteOutcome:
        return self._close_as(
            approval_id, by=by, digest=digest, now=repr(to_epoch(now)), state="rejected"
        )

    def refuse(self, approval_id: str, *, by: str, reasons: list[str]) -> VoteOutcome:
        return self._close_as(
            approval_id,
            by=by,
            digest="",
            now="",
            state="refused",
            outcome=Refused(reasons=reasons).model_dump_json(),
        )

    def _close_as(
        self, approval_id: str, *, by: str, digest: str, now: str, state: str, outcome: str = ""
    ) -> VoteOutcome:
        """Close a pending approval as `state` (rejected | refused: a vote's answer)."""
        return _outcome(
            self._close_raw(
                approval_id, by=by, digest=digest, now=now, state=state, outcome=outcome
            )
        )

    def _close_raw(
        self, approval_id: str, *, by: str, digest: str, now: str, state: str, outcome: str = ""
    ) -> Any:
        """The CLOSE script's reply; its first item is the new state (cancelled is a state,
        not a vote's result) or why nothing changed."""
        with self._guard(f"mark an approval {state}"):
            return self._close(
                keys=[self._hash(approval_id), self._votes(approval_id), self._pending],
                args=[approval_id, by, digest, now, self._terminal_ttl_ms, state, outcome],
            )

    def finish(self, approval_id: str, *, state: ApprovalState, report: ExecutionReport) -> None:
        if state not in (ApprovalState.DONE, ApprovalState.FAILED):
            raise InvalidTransition(f"finish() takes done or failed, not {state}")
        with self._guard("record an execution result"):
            keys = [self._hash(approval_id), self._votes(approval_id), self._executing]
            outcome = Executed(report=report).model_dump_json()
            args = [state.value, outcome, self._terminal_ttl_ms, approval_id]
            try:
                reply = _text(self._acknowledged(self._finish, keys, args))
            except NotAcknowledged as exc:
                # The plan ran; nothing to take back. A failover now may show it interrupted
                # (never re-run): say so in the log.
                reply = _text(exc.args[0])
                what = f"the result of {approval_id}"
                log.warning("%s", self._not_acknowledged(what, exc.args[1]))
        if reply == "":
            raise ApprovalNotFound(f"cannot finish: no approval {approval_id}")
        if reply != "ok":
            raise InvalidTransition(
                f"cannot finish approval {approval_id}: it is {reply}, not executing"
            )

    def expire_due(
        self, now: datetime, *, platforms: Collection[str] | None = None
    ) -> list[PendingApproval]:
        with self._guard("expire approvals"):
            ids = self._expire_due(
                keys=[self._pending],
                args=[
                    repr(to_epoch(now)),
                    self._terminal_ttl_ms,
                    f"{self._prefix}:approval:",
                    _platforms_arg(platforms),
                ],
            )
        moved = [self.get(_text(i)) for i in ids]
        return [a for a in moved if a is not None]

    def interrupt_stale(
        self,
        now: datetime,
        *,
        older_than_seconds: int,
        platforms: Collection[str] | None = None,
    ) -> list[PendingApproval]:
        cutoff = to_epoch(now) - older_than_seconds
        with self._guard("mark interrupted executions"):
            ids = self._interrupt_stale(
                keys=[self._executing],
                args=[
                    repr(cutoff),
                    self._terminal_ttl_ms,
                    f"{self._prefix}:approval:",
                    Interrupted().model_dump_json(),
                    _platforms_arg(platforms),
                ],
            )
        moved = [self.get(_text(i)) for i in ids]
        return [a for a in moved if a is not None]

    def list_pending(self) -> list[PendingApproval]:
        with self._guard("list pending approvals"):
            ids = [_text(i) for i in self._client.zrange(self._pending, 0, -1)]
            pipe = self._client.pipeline(transaction=True)
            for approval_id in ids:
                pipe.hgetall(self._hash(approval_id))
                pipe.hgetall(self._votes(approval_id))
            replies = pipe.execute()
        found = (_decode(replies[i], replies[i + 1]) for i in range(0, len(replies), 2))
        pending = [a for a in found if a is not None and a.state is ApprovalState.PENDING]
        return sorted(pending, key=lambda a: a.expires_at)

    def claim_event(self, key: str, *, ttl_seconds: int = 86400, owner: str | None = None) -> bool:
        with self._guard("claim an event"):
            claimed = self._claim_event(
                keys=[self._event(key)], args=[owner or "", str(ttl_seconds)]
            )
        return bool(claimed)

    def ping(self) -> None:
        with self._guard("ping"):
            self._client.ping()


def _decode(fields: dict[Any, Any], votes: dict[Any, Any]) -> PendingApproval | None:
    if not fields:
        return None
    data = {_text(k): _text(v) for k, v in fields.items()}
    doc: dict[str, Any] = json.loads(data["doc"])
    doc["state"] = data["state"]
    doc["ballots"] = {_text(voter): _ballot(_text(value)) for voter, value in votes.items()}
    doc["ballots_version"] = int(data.get("bv") or 0)
    doc["decided_by"] = data.get("decided_by") or None
    if data.get("outcome"):
        doc["outcome"] = json.loads(data["outcome"])
    elif data.get("result_summary"):
        doc["outcome"] = _legacy_outcome(data["result_summary"])
    doc["message"] = json.loads(data["message"]) if data.get("message") else None
    return PendingApproval.model_validate(doc)


def _legacy_outcome(summary: str) -> Executed | Interrupted:
    """`result_summary` of records written before `outcome`: the ExecutionReport JSON of a
    finished run, else the interrupted note (the only other text that version wrote)."""
    try:
        return Executed(report=ExecutionReport.model_validate_json(summary))
    except ValueError:
        return Interrupted(note=summary)
