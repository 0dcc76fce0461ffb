"""Works one recorded notification: route it, post or update the group's one message, gather
evidence for new firing alerts, propose each runbook fix as an ordinary preview (through the
service as the alert principal: policy and approval apply; nothing runs by itself), and note
resolutions in the thread."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.catalog import Operation, parse_operation
from bot.models import Principal, Request
from bot.parsing import Parsed, format_command, parse_command
from bot.receivers.alertmanager.config import (
    DeploymentOfPod,
    Fixed,
    FromLabel,
    Route,
    Routing,
    Runbook,
    Runbooks,
)
from bot.receivers.alertmanager.diagnosis import diagnosis_question
from bot.receivers.alertmanager.evidence import evidence_operations, gather
from bot.receivers.alertmanager.ledger import AlertLedger
from bot.receivers.alertmanager.payload import Alert, WebhookMessage
from bot.receivers.alertmanager.sink import AlertGroupView, AlertLine, AlertSink
from bot.replies import DuplicateReply, NeedsApprovalReply, Reply, ResultReply
from bot.service import ChatService

log = logging.getLogger("opsbot.alerts")

SOURCE = "alertmanager"
MAX_LISTED = 10
MAX_WORKED_PER_NOTIFICATION = 5  # evidence and fixes for at most this many new alerts
UNNEEDED = "The alert resolved: this fix is probably no longer needed (it can still be approved)."


class RunbookRefused(Exception):
    """The runbook cannot be applied to this alert (missing or invalid label, no owner)."""


@dataclass
class AlertProcessor:
    service: ChatService
    ledger: AlertLedger
    sink: AlertSink
    routing: Routing
    runbooks: Runbooks
    principal: Principal
    llm_diagnosis: bool = False  # an LLM planner is configured: `diagnose` routes ask it

    def process(self, message: WebhookMessage) -> None:
        route = self.routing.route(message.commonLabels)
        if route is None:
            log.info("alert group %s matches no route; dropped", message.group_id)
            return
        gid = message.group_id
        for alert in message.alerts:
            self.ledger.see(gid, _alert_key(alert), alert.status)
        with self.ledger.group_lock(gid):
            state = self.ledger.group(gid)
            view = self._view(message, self.ledger.statuses(gid))
            if "ts" in state:
                channel, ts = state["channel"], state["ts"]
                self.sink.update_group(channel, ts, view)
            else:
                channel = route.channel
                ts = self.sink.post_group(channel, view)
                self.ledger.set_group(gid, channel=channel, ts=ts)
        # each step is claimed once (ledger.once): a retry of this notification (after an
        # error here, or a dead worker's takeover) redoes only the steps that did not finish
        worked = 0
        for alert in message.firing():
            if worked >= MAX_WORKED_PER_NOTIFICATION:
                break
            with self.ledger.once(f"work:{gid}:{_alert_key(alert)}") as mine:
                if mine:
                    worked += 1
                    self._work(alert, route, channel=channel, ts=ts, gid=gid)
        for alert in message.resolved():
            with self.ledger.once(f"resolved:{gid}:{_alert_key(alert)}") as mine:
                if mine:
                    self._resolved(alert, channel=channel, ts=ts, gid=gid)

    # ------------------------------------------------------------------ firing
    def _work(self, alert: Alert, route: Route, *, channel: str, ts: str, gid: str) -> None:
        key = _alert_key(alert)
        if route.evidence:
            ops = evidence_operations(alert.labels)
            with self.ledger.once(f"evidence:{gid}:{key}") as mine:
                if ops and mine:
                    items = gather(ops, lambda op: self._read_text(op, key))
                    self.sink.post_evidence(channel, ts, items)
        if route.diagnose and self.llm_diagnosis:
            self._diagnose(alert, channel=channel, ts=ts, gid=gid)
        runbook = self.runbooks.for_alert(alert.labels, route)
        if runbook is None:
            return
        try:
            op = self._operation(runbook, alert, key)
        except RunbookRefused as exc:
            self.sink.post_note(channel, ts, f"Runbook {runbook.name} not applied: {exc}")
            return
        reply = self._ask(op, channel=channel, ts=ts, event=f"fix:{key}")
        self._post_in_thread(reply, channel=channel, ts=ts, gid=gid, key=key)

    def _diagnose(self, alert: Alert, *, channel: str, ts: str, gid: str) -> None:
        """The planner's answer to the bot's own question (diagnosis.py), as the alert
        principal, in the thread; whatever it proposes passed the chat guards and policy."""
        question = diagnosis_question(alert.labels)
        if question is None:
            return
        key = _alert_key(alert)
        reply = self._request(question, channel=channel, ts=ts, event=f"diagnosis:{key}")
        self._post_in_thread(reply, channel=channel, ts=ts, gid=gid, key=key)

    def _post_in_thread(self, reply: Reply, *, channel: str, ts: str, gid: str, key: str) -> None:
        """Post the service's reply in the group's thread (a redelivery: nothing); a preview
        is remembered as the alert's pending fix, so its resolution can mark it unneeded."""
        if isinstance(reply, DuplicateReply):
            return
        posted = self.sink.post_reply(reply, channel=channel, thread_ts=ts)
        if isinstance(reply, NeedsApprovalReply):
            self.ledger.set_group(gid, **{f"fix:{key}": posted})

    def _operation(self, runbook: Runbook, alert: Alert, key: str) -> Operation:
        data: dict[str, Any] = {"operation": runbook.operation}
        for param, source in runbook.params.items():
            match source:
                case FromLabel(label=label):
                    if label not in alert.labels:
                        raise RunbookRefused(f"the alert has no label {label!r}")
                    data[param] = alert.labels[label]
                case Fixed(value=value):
                    data[param] = value
                case DeploymentOfPod(deployment_of_pod=label):
                    data[param] = self._owner_deployment(alert, label, key)
        try:
            return parse_operation(data)
        except ValidationError as exc:
            # name the parameter, never echo the (untrusted) value
            fields = sorted({".".join(str(p) for p in e["loc"][1:]) or "?" for e in exc.errors()})
            raise RunbookRefused(
                f"the alert's labels do not give a valid {', '.join(fields)} for "
                f"{runbook.operation}"
            ) from exc

    def _owner_deployment(self, alert: Alert, label: str, key: str) -> str:
        """pod -> its ReplicaSet (describe pod) -> the Deployment whose history holds it."""
        ns, pod = alert.labels.get("namespace", "default"), alert.labels.get(label)
        if not pod:
            raise RunbookRefused(f"the alert has no label {label!r}")
        described = self._read(
            {"operation": "describe_pod", "namespace": ns, "name": pod}, key, "owner-pod"
        )
        owner = str((described or {}).get("owner") or "")
        kind, _, rs = owner.partition("/")
        if kind != "ReplicaSet" or "-" not in rs:
            raise RunbookRefused("the pod is not owned by a Deployment's ReplicaSet")
        candidate = rs.rsplit("-", 1)[0]
        deployment = self._read(
            {"operation": "describe_deployment", "namespace": ns, "name": candidate},
            key,
            "owner-deploy",
        )
        history = (deployment or {}).get("history") or []
        if not any(h.get("replicaset") == rs for h in history):
            raise RunbookRefused("the pod's ReplicaSet belongs to no Deployment found")
        return candidate

    # ------------------------------------------------------------------ service calls
    def _read(self, data: dict[str, Any], key: str, what: str) -> dict[str, Any] | None:
        try:
            op = parse_operation(data)
        except ValidationError as exc:
            raise RunbookRefused("a label the runbook needs is not a valid name") from exc
        reply = self._ask(op, channel=SOURCE, ts=None, event=f"{what}:{key}:{uuid.uuid4().hex}")
        if isinstance(reply, ResultReply) and reply.execution.ok and reply.execution.steps:
            found = reply.execution.steps[0].result.data
            return found if isinstance(found, dict) else None
        raise RunbookRefused(
            f"the read {format_command(op)} failed ({reply.kind}): {reply.text[:300]}"
        )

    def _read_text(self, op: Operation, key: str) -> str:
        try:
            reply = self._ask(
                op, channel=SOURCE, ts=None, event=f"evidence:{key}:{uuid.uuid4().hex}"
            )
        except RunbookRefused as exc:
            return str(exc)
        return reply.text

    def _ask(self, op: Operation, *, channel: str, ts: str | None, event: str) -> Reply:
        """The operation as the alert principal's explicit command; only text that parses back
        to exactly this operation is sent, so nothing from an alert reaches a model."""
        text = format_command(op)
        parsed = parse_command(text)
        if not (isinstance(parsed, Parsed) and parsed.plan.steps == [op]):
            raise RunbookRefused(f"{op.kind} could not be written as a command")
        return self._request(text, channel=channel, ts=ts, event=event)

    def _request(self, text: str, *, channel: str, ts: str | None, event: str) -> Reply:
        """`text` (written by the bot, never taken from an alert) as the alert principal."""
        return self.service.handle_request(
            Request(
                principal=self.principal,
                text=text,
                source=SOURCE,
                channel=channel,
                thread=ts,
                event_id=f"alertmanager:{event}",
            )
        )

    # ------------------------------------------------------------------ resolved
    def _resolved(self, alert: Alert, *, channel: str, ts: str, gid: str) -> None:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
        with self.ledger.once(f"resolved-note:{gid}:{_alert_key(alert)}") as mine:
            if mine:
                self.sink.post_note(channel, ts, f"Resolved: {alert.name} ({labels})")
        fix = self.ledger.group(gid).get(f"fix:{_alert_key(alert)}")
        if fix:
            self.sink.mark_fix_unneeded(channel, fix, UNNEEDED)

    def _view(self, message: WebhookMessage, statuses: dict[str, str]) -> AlertGroupView:
        firing = sum(1 for s in statuses.values() if s == "firing")
        resolved = len(statuses) - firing
        names = sorted({a.name for a in message.alerts if a.name})
        title = message.groupLabels.get("alertname") or ", ".join(names) or "alerts"
        lines = [
            AlertLine(
                name=a.name,
                status=statuses.get(_alert_key(a), a.status),
                labels={k: v for k, v in a.labels.items() if k != "alertname"},
                summary=a.annotations.get("summary") or a.annotations.get("description") or "",
            )
            for a in message.alerts[:MAX_LISTED]
        ]
        return AlertGroupView(
            title=title,
            status="firing" if firing else "resolved",
            firing=firing,
            resolved=resolved,
            alerts=lines,
            more=max(0, len(message.alerts) - MAX_LISTED),
        )


def _alert_key(alert: Alert) -> str:
    return f"{alert.fingerprint}@{alert.startsAt.isoformat()}"
