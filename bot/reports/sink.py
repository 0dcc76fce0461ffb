"""Where collectors put what they find: findings (capped per kind), counters and notes.

Collectors stream pages through here and keep nothing else, so memory stays bounded by the cap
no matter how big the cluster is.
"""

from __future__ import annotations

from collections import Counter

from bot.reports.models import Finding, Omitted, Severity


class FindingSink:
    def __init__(self, *, max_per_kind: int) -> None:
        self.max_per_kind = max_per_kind
        self.findings: list[Finding] = []
        self.counters: Counter[str] = Counter()
        self.notes: list[str] = []
        self._per_kind: Counter[str] = Counter()
        self._omitted: Counter[tuple[str, Severity]] = Counter()

    def add(self, finding: Finding) -> None:
        if self._per_kind[finding.kind] >= self.max_per_kind:
            self._omitted[(finding.kind, finding.severity)] += 1
            return
        self._per_kind[finding.kind] += 1
        self.findings.append(finding)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def note(self, text: str) -> None:
        self.notes.append(text)

    def omitted(self) -> list[Omitted]:
        return [
            Omitted(kind=kind, severity=sev, count=n)
            for (kind, sev), n in sorted(
                self._omitted.items(), key=lambda i: (i[0][1].rank, i[0][0])
            )
        ]
