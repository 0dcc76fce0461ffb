"""Replies whose text is rendered from their fields (plan, decision, previews, result)."""

from __future__ import annotations

from bot.render import render_reply_text
from bot.replies import DeniedReply, NeedsApprovalReply, ResultReply


def rendered[R: (ResultReply, DeniedReply, NeedsApprovalReply)](reply: R) -> R:
    return reply.model_copy(update={"text": render_reply_text(reply)})
