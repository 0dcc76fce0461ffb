"""The Alertmanager receiver's chat side in Matrix rooms (bot/receivers/alertmanager/sink.py):
one message per alert group, edited in place (m.replace); evidence and notes in its thread
(m.thread); fixes posted as ordinary previews through MatrixFrontEnd, so reactions vote on them
like on any plan. Every label, annotation and evidence text is untrusted: HTML-escaped, and
each message says it mentions nobody (`m.mentions: {}`), so an "@room" in an alert pings no one.

The receiver calls a sink from its own thread; the calls run on the Matrix bot's event loop."""

from __future__ import annotations

from typing import Any

from bot.adapters.matrix.bot import BotThread
from bot.adapters.matrix.client import thread_relation
from bot.adapters.matrix.frontend import PLATFORM
from bot.adapters.matrix.render import Rendered, esc
from bot.models import MessageRef
from bot.receivers.alertmanager.sink import AlertGroupView, EvidenceItem
from bot.replies import Reply

_ICON = {"firing": "🚨", "resolved": "✅"}
MAX_EVIDENCE_ITEMS = 20
MAX_ITEM_CHARS = 2000


def _quiet(content: dict[str, Any]) -> dict[str, Any]:
    return {**content, "m.mentions": {}}


def group_message(view: AlertGroupView) -> Rendered:
    head = (
        f"{_ICON.get(view.status, '')} {view.title}: {view.status.upper()} "
        f"({view.firing} firing, {view.resolved} resolved)"
    )
    lines, rows = [], []
    for alert in view.alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
        lines.append(f"• [{alert.status}] {alert.name} {labels} {alert.summary}".rstrip()[:300])
        rows.append(
            f"<tr><td>{esc(alert.status)}</td><td>{esc(alert.name)}</td>"
            f"<td><code>{esc(labels[:300])}</code></td><td>{esc(alert.summary[:300])}</td></tr>"
        )
    if view.more:
        lines.append(f"… and {view.more} more")
    foot = "Evidence and any proposed fix are in the thread."
    html = f"<p><b>{esc(head)}</b></p>"
    if rows:
        html += (
            "<table><thead><tr><th>status</th><th>alert</th><th>labels</th><th>summary</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    if view.more:
        html += f"<p>… and {view.more} more</p>"
    html += f"<p><i>{foot}</i></p>"
    return Rendered(body="\n".join([head, *lines, foot]), html=html)


def evidence_message(items: list[EvidenceItem]) -> Rendered:
    shown = items[:MAX_EVIDENCE_ITEMS]
    body = ["Evidence (read-only, as the alert principal)"]
    html = ["<p><b>Evidence</b> (read-only, as the alert principal)</p>"]
    for item in shown:
        text = item.text[:MAX_ITEM_CHARS]
        body += [item.title, text]
        html.append(f"<p><code>{esc(item.title)}</code></p><pre><code>{esc(text)}</code></pre>")
    return Rendered(body="\n".join(body), html="".join(html))


class MatrixAlertSink:
    """`requester`: the alert principal, shown on fix previews as who asked."""

    def __init__(self, runner: BotThread, *, requester: str) -> None:
        self.runner = runner
        self.requester = requester

    def post_group(self, channel: str, view: AlertGroupView) -> str:
        content = _quiet(group_message(view).content())
        return self.runner.call(self.runner.bot.client.send(channel, content))

    def update_group(self, channel: str, ts: str, view: AlertGroupView) -> None:
        content = _quiet(group_message(view).content())
        self.runner.call(self.runner.bot.client.edit(channel, ts, content))

    def post_evidence(self, channel: str, thread_ts: str, items: list[EvidenceItem]) -> None:
        content = {**evidence_message(items).content(), "m.relates_to": thread_relation(thread_ts)}
        self.runner.call(self.runner.bot.client.send(channel, _quiet(content)))

    def post_note(self, channel: str, thread_ts: str, text: str) -> None:
        content = {"msgtype": "m.notice", "body": text, "m.relates_to": thread_relation(thread_ts)}
        self.runner.call(self.runner.bot.client.send(channel, _quiet(content)))

    def post_reply(self, reply: Reply, *, channel: str, thread_ts: str) -> str:
        return self.runner.call(
            self.runner.bot.frontend.post_reply(
                reply,
                room_id=channel,
                root=thread_ts,
                reply_to=thread_ts,
                requester=self.requester,
            )
        )

    def mark_fix_unneeded(self, channel: str, ts: str, note: str) -> None:
        message = MessageRef(platform=PLATFORM, channel=channel, ts=ts)
        frontend = self.runner.bot.frontend
        approval = frontend.service.approval_for_message(message)
        if approval is None or approval.state.value != "pending":
            return
        self.runner.call(
            frontend.update_preview(
                message, status="pending", approval=approval, tally=approval.tally(), note=note
            )
        )
