"""Building a Reply whose text is rendered from its fields unless given."""

from __future__ import annotations

from bot.render import render_reply_text
from bot.replies import Reply, ReplyKind


def reply(kind: ReplyKind, *, text: str | None = None, **fields: object) -> Reply:
    built = Reply.model_validate({"kind": kind, "text": text or "", **fields})
    if text is None:
        built = built.model_copy(update={"text": render_reply_text(built)})
    return built
