"""The Alertmanager receiver's chat side on Slack (bot/receivers/alertmanager/sink.py): one
message per alert group, updated in place; evidence and notes in its thread; fixes posted as
ordinary previews through SlackFrontEnd (reactions vote on them like on any plan). Every
label, annotation and evidence text is untrusted: escaped here."""

from __future__ import annotations

from bot.adapters.slack.blocks import Block, code, context, escape, section
from bot.adapters.slack.frontend import SlackFrontEnd
from bot.models import MessageRef
from bot.receivers.alertmanager.sink import AlertGroupView, EvidenceItem
from bot.replies import Reply

_ICON = {"firing": ":rotating_light:", "resolved": ":white_check_mark:"}


def group_blocks(view: AlertGroupView) -> tuple[str, list[Block]]:
    head = (
        f"{_ICON.get(view.status, '')} *{escape(view.title)}*: {view.status.upper()} "
        f"({view.firing} firing, {view.resolved} resolved)"
    )
    lines = []
    for alert in view.alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
        summary = f" — {alert.summary}" if alert.summary else ""
        lines.append(f"• [{alert.status}] {alert.name} {labels}{summary}"[:300])
    if view.more:
        lines.append(f"… and {view.more} more")
    blocks = [section(head, block_id="alert-status")]
    if lines:
        blocks.append(section(escape("\n".join(lines))[:2900]))
    blocks.append(context("Evidence and any proposed fix are in the thread."))
    text = f"{view.title}: {view.status} ({view.firing} firing, {view.resolved} resolved)"
    return escape(text), blocks


class SlackAlertSink:
    def __init__(self, frontend: SlackFrontEnd) -> None:
        self.frontend = frontend
        self.client = frontend.client

    def post_group(self, channel: str, view: AlertGroupView) -> str:
        text, blocks = group_blocks(view)
        response = self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        return str(response["ts"])

    def update_group(self, channel: str, ts: str, view: AlertGroupView) -> None:
        text, blocks = group_blocks(view)
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def post_evidence(self, channel: str, thread_ts: str, items: list[EvidenceItem]) -> None:
        blocks: list[Block] = [section("*Evidence* (read-only, as the alert principal)")]
        for item in items[:20]:
            blocks.append(section(f"`{escape(item.title)}`\n{code(item.text[:2000])}"))
        text = "Evidence: " + "; ".join(escape(i.title) for i in items)
        self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text[:3000], blocks=blocks
        )

    def post_note(self, channel: str, thread_ts: str, text: str) -> None:
        self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=escape(text))

    def post_reply(self, reply: Reply, *, channel: str, thread_ts: str) -> str:
        return self.frontend.post_reply(
            reply, channel=channel, thread_ts=thread_ts, requester=None, request_text=None
        )

    def mark_fix_unneeded(self, channel: str, ts: str, note: str) -> None:
        message = MessageRef(platform="slack", channel=channel, ts=ts)
        approval = self.frontend.service.approval_for_message(message)
        if approval is None or approval.state.value != "pending":
            return
        self.frontend.update_preview(message, status="pending", approval=approval, note=note)
