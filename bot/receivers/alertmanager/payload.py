"""Alertmanager's webhook payload, version 4 (alertmanager/notify/webhook). Unknown fields are
kept (a newer Alertmanager may add some); every known field has its type checked."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_LABEL_CHARS = 1024
MAX_ALERTS = 1000


class Alert(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=64)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


class WebhookMessage(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=4096)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1, max_length=MAX_ALERTS)

    @property
    def group_id(self) -> str:
        """A short, key-safe id of the alert group (the group key can hold any characters)."""
        return hashlib.sha256(self.groupKey.encode()).hexdigest()[:32]

    def delivery_key(self) -> str:
        """One notification's identity: group key, status and each alert's (fingerprint, status,
        startsAt), sorted. Alertmanager's retries and every HA replica send the same one."""
        alerts = sorted((a.fingerprint, a.status, a.startsAt.isoformat()) for a in self.alerts)
        canonical = json.dumps([self.groupKey, self.status, alerts], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "resolved"]
