"""A small Kubernetes API test server for what the real test cluster cannot do on demand:
pod logs, 409/429/500 responses, slow responses and dropped connections.

It speaks the real REST paths, query parameters and `Status` bodies that the official
`kubernetes` client uses, binds 127.0.0.1 only, and keeps objects in memory (pagination with
limit/continue, so ~10k pods and 50k events stay cheap). Drive it through the real client.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from tests.fakes.k8s_handler import Handler
from tests.fakes.k8s_model import USERS, ApiError, Fault, RecordedRequest, Rule
from tests.fakes.k8s_seed import SeedMixin
from tests.fakes.k8s_state import (
    REVISION,
    Store,
)


@dataclass
class FakeKubeAPI(SeedMixin):
    """The server plus seed helpers, fault injection, a rule table and a request log."""

    store: Store = field(default_factory=Store)
    requests: list[RecordedRequest] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _rules: list[Rule] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    kubeconfig_path: Path | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeKubeAPI:
        handler = type("BoundHandler", (Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def write_kubeconfig(self, path: Path, *, current: str = "admin") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": u, "user": {"token": f"fake-token-{u}"}} for u in USERS],
            "contexts": [
                {"name": u, "context": {"cluster": "fake", "user": u, "namespace": "default"}}
                for u in USERS
            ],
            "current-context": current,
        }
        path.write_text(yaml.safe_dump(config))
        self.kubeconfig_path = path
        return path

    # ------------------------------------------------------------------ faults and rules
    def fail_next(
        self,
        path_regex: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: float | None = None,
        method: str | None = None,
    ) -> None:
        self._faults.append(
            Fault(re.compile(path_regex), method, times, status=status, retry_after=retry_after)
        )

    def delay_next(
        self,
        path_regex: str,
        *,
        seconds: float,
        times: int = 1,
        method: str | None = None,
        after_processing: bool = False,
    ) -> None:
        """Answer late: before doing anything, or (`after_processing`) after the change was
        made, so a client that times out does not know the change happened."""
        self._faults.append(
            Fault(re.compile(path_regex), method, times, delay=seconds, late=after_processing)
        )

    def drop_next(self, path_regex: str, *, times: int = 1, method: str | None = None) -> None:
        self._faults.append(Fault(re.compile(path_regex), method, times, drop=True))

    def conflict_next(self, path_regex: str, *, times: int = 1, method: str | None = None) -> None:
        """Act as a concurrent writer: just before the next `times` writes (PATCH or PUT, or only
        `method`) whose path matches, bump the target object's resourceVersion, so a client that
        read the object earlier is answered 409 Conflict, exactly as after a real race."""
        self._faults.append(Fault(re.compile(path_regex), method, times, conflict=True))

    def grant(
        self,
        *,
        user: str | None = None,
        group: str | None = None,
        verbs: list[str],
        resources: list[str],
        namespaces: list[str] | None = None,
    ) -> None:
        """Add an allow rule. Once any rule exists, everything not granted is forbidden
        (except system:masters). `*` matches every verb or resource."""
        self._rules.append(
            Rule(
                user,
                group,
                frozenset(verbs),
                frozenset(resources),
                frozenset(namespaces) if namespaces else None,
            )
        )

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.store.lock:
            for fault in self._faults:
                if (
                    fault.times > 0
                    and fault.pattern.search(path)
                    and fault.method in (None, method)
                    and (not fault.conflict or method in ("PATCH", "PUT"))
                ):
                    fault.times -= 1
                    return fault
        return None

    def allowed(
        self, user: str, groups: tuple[str, ...], verb: str, resource: str, namespace: str | None
    ) -> bool:
        if not self._rules or "system:masters" in groups:
            return True
        for rule in self._rules:
            who = (rule.user is not None and rule.user == user) or (
                rule.group is not None and rule.group in groups
            )
            if (
                who
                and (verb in rule.verbs or "*" in rule.verbs)
                and (resource in rule.resources or "*" in rule.resources)
                and (rule.namespaces is None or namespace in rule.namespaces)
            ):
                return True
        return False

    def calls(self, method: str | None = None, path_contains: str = "") -> list[RecordedRequest]:
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method) and path_contains in r.path
        ]


__all__ = ["REVISION", "ApiError", "FakeKubeAPI", "RecordedRequest"]
