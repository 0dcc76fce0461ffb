"""A Plan: ordered catalog operations with a stable digest that approvals are bound to."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from bot.catalog import AnyOperation, Risk

_RISK_ORDER = {Risk.READ: 0, Risk.WRITE: 1, Risk.DESTRUCTIVE: 2}


class Plan(BaseModel):
    """Steps run in order and stop at the first failure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[AnyOperation] = Field(min_length=1, max_length=10)
    source: Literal["command", "llm", "undo", "schedule"] = "command"
    explanation: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _strip_digest(cls, data: Any) -> Any:
        """Accept our own JSON back; a digest that does not match the steps is tampering."""
        if isinstance(data, dict) and "digest" in data:
            data = dict(data)
            claimed = data.pop("digest")
            actual = cls.model_validate(data).digest
            if claimed != actual:
                raise ValueError("plan digest does not match its steps")
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def digest(self) -> str:
        """sha256 over the canonical JSON of the steps: what is approved is exactly this."""
        canonical = json.dumps(
            [step.model_dump(mode="json") for step in self.steps],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def risk(self) -> Risk:
        """The highest risk tier among the steps."""
        return max((s.risk for s in self.steps), key=_RISK_ORDER.__getitem__)

    @property
    def is_read_only(self) -> bool:
        return self.risk == Risk.READ

    def describe(self) -> str:
        return "; ".join(step.describe() for step in self.steps)

    def with_default_context(self, context: str | None) -> Plan:
        """Name the bot's cluster context on every step that names none, so policy rules on
        `contexts:` match the cluster the step will really run against (and approvers see it)."""
        open_steps = [
            i
            for i, s in enumerate(self.steps)
            if "context" in type(s).model_fields and getattr(s, "context", None) is None
        ]
        if context is None or not open_steps:
            return self
        steps = [
            s.model_copy(update={"context": context}) if i in open_steps else s
            for i, s in enumerate(self.steps)
        ]
        return Plan(steps=steps, source=self.source, explanation=self.explanation)
