"""The HTTP side of the Kubernetes API test server: routes, auth, RBAC, faults, objects."""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.k8s_model import (
    GROUPS,
    USERS,
    VERB_BY_METHOD,
    ApiError,
    Fault,
    RecordedRequest,
    not_found,
    qualified,
)
from tests.fakes.k8s_state import (
    json_patch,
    match_fields,
    match_labels,
    now_iso,
    strategic_merge,
)

if TYPE_CHECKING:
    from tests.fakes.k8s_api import FakeKubeAPI

_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), name)
    for p, name in [
        (r"^/version/?$", "version"),
        (r"^/api/v1/namespaces/?$", "list:namespaces"),
        (r"^/api/v1/namespaces/(?P<name>[^/]+)$", "item:namespaces"),
        (r"^/api/v1/(?:namespaces/(?P<ns>[^/]+)/)?(?P<res>pods|events)$", "list"),
        (r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)/log$", "log"),
        (r"^/api/v1/namespaces/(?P<ns>[^/]+)/(?P<res>pods|events)/(?P<name>[^/]+)$", "item"),
        (r"^/apis/apps/v1/(?:namespaces/(?P<ns>[^/]+)/)?(?P<res>deployments|replicasets)$", "list"),
        (r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/deployments/(?P<name>[^/]+)/scale$", "scale"),
        (
            r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/(?P<res>deployments|replicasets)/(?P<name>[^/]+)$",
            "item",
        ),
    ]
]
_KINDS = {
    "pods": "Pod",
    "events": "Event",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "namespaces": "Namespace",
}


class Handler(BaseHTTPRequestHandler):
    api: FakeKubeAPI
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    # ------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {k.lower(): self.headers.get_all(k) or [] for k in set(self.headers.keys())}
        record = RecordedRequest(method, parts.path, query, headers, body)
        self.api.requests.append(record)
        fault = self.api.take_fault(method, parts.path)
        if fault and fault.delay and not fault.late:
            time.sleep(fault.delay)
        if fault and fault.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            record.status = -1
            return
        retry_after = fault.retry_after if fault else None
        try:
            if fault and fault.conflict:
                self._bump_target(parts.path)
            if fault and fault.status:
                raise self._fault_error(fault)
            status, payload, content_type = self._dispatch(method, parts.path, query, body)
        except ApiError as err:
            status, payload, content_type = err.code, err.body(), "application/json"
        record.status = status
        if fault and fault.delay and fault.late:
            time.sleep(fault.delay)
        data = (
            payload.encode()
            if isinstance(payload, str)
            else json.dumps(payload, separators=(",", ":")).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None and status >= 400:
            self.send_header(
                "Retry-After",
                str(int(retry_after) if float(retry_after).is_integer() else retry_after),
            )
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            self.close_connection = True

    def _bump_target(self, path: str) -> None:
        """What a concurrent writer does to the object at `path`: a new resourceVersion."""
        for pattern, kind in _ROUTES:
            match = pattern.match(path)
            if match and kind in ("item", "scale"):
                groups = match.groupdict()
                resource = groups.get("res") or "deployments"
                store = self.api.store
                with store.lock:
                    obj = store.get(resource, groups["ns"], groups["name"])
                    if obj is not None:
                        store.put(resource, obj)
                return

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        if fault.status == 429:
            return ApiError(
                429,
                "TooManyRequests",
                "Too many requests, please try again later.",
                {"retryAfterSeconds": int(fault.retry_after or 1)},
            )
        if fault.status == 409:
            return ApiError(
                409,
                "Conflict",
                "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again",  # noqa: E501
            )
        reasons = {
            500: "InternalError",
            502: "BadGateway",
            503: "ServiceUnavailable",
            504: "Timeout",
        }
        return ApiError(
            fault.status,
            reasons.get(fault.status, "InternalError"),
            f"injected failure {fault.status}",
        )

    def _identity(self) -> tuple[str, tuple[str, ...]]:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        user = token.removeprefix("fake-token-")
        if not auth or user not in USERS:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        groups = USERS[user]
        as_user = self.headers.get("Impersonate-User")
        as_groups = tuple(self.headers.get_all("Impersonate-Group") or [])
        if as_user:
            for target, res in [(as_user, "users"), *((g, "groups") for g in as_groups)]:
                if not self.api.allowed(user, groups, "impersonate", res, None):
                    raise ApiError(
                        403,
                        "Forbidden",
                        f'{res} "{target}" is forbidden: User "{user}" cannot impersonate resource "{res}" in API group "" at the cluster scope',  # noqa: E501
                        {"name": target, "kind": res},
                    )
            return as_user, (*as_groups, "system:authenticated")
        return user, (*groups, "system:authenticated")

    def _authorize(self, verb: str, resource: str, namespace: str | None, name: str | None) -> None:
        user, groups = self._identity()
        if self.api.allowed(user, groups, verb, resource, namespace):
            return
        group = GROUPS.get(resource.split("/")[0], "")
        where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        subject = f'{qualified(resource)} "{name}"' if name else qualified(resource)
        message = f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {where}'  # noqa: E501
        details: dict[str, Any] = {"kind": resource.split("/")[0]}
        if name:
            details["name"] = name
        if group:
            details["group"] = group
        raise ApiError(403, "Forbidden", message, details)

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        for pattern, route in _ROUTES:
            m = pattern.match(path)
            if not m:
                continue
            g = m.groupdict()
            if route == "version":
                self._identity()
                return (
                    200,
                    {
                        "major": "1",
                        "minor": "20",
                        "gitVersion": "v1.20.2-fake",
                        "platform": "linux/amd64",
                    },
                    "application/json",
                )
            if route.startswith("list:"):
                g["res"] = route.split(":")[1]
                route = "list"
            if route.startswith("item:"):
                g["res"], g["ns"] = route.split(":")[1], ""
                route = "item"
            handler = getattr(self, f"_{route}")
            with self.api.store.lock:
                result: tuple[int, Any, str] = handler(method, g, query, body)
                return result
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # --- lists
    def _list(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        res, ns = g["res"], g.get("ns")
        self._authorize("list", res, ns, None)
        store = self.api.store
        after = (
            tuple(json.loads(base64.b64decode(query["continue"])))
            if query.get("continue")
            else None
        )
        limit = int(query.get("limit") or 0)
        labels, fields = query.get("labelSelector"), query.get("fieldSelector")
        page: list[dict[str, Any]] = []
        last: tuple[str, str] | None = None
        more = False
        for key, obj in store.scan(res, ns, after=after):  # type: ignore[arg-type]
            if not (
                match_labels(obj["metadata"].get("labels") or {}, labels)
                and match_fields(obj, fields)
            ):
                continue
            if limit and len(page) == limit:
                more = True
                break
            page.append(obj)
            last = key
        meta: dict[str, Any] = {"resourceVersion": str(store._rv)}
        if more and last is not None:
            meta["continue"] = base64.b64encode(json.dumps(list(last)).encode()).decode()
        kind = _KINDS[res] + "List"
        version = "apps/v1" if GROUPS.get(res) == "apps" else "v1"
        return (
            200,
            {"kind": kind, "apiVersion": version, "metadata": meta, "items": page},
            "application/json",
        )

    # --- single objects
    def _item(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        res, ns, name = g["res"], g.get("ns") or "", g["name"]
        verb = VERB_BY_METHOD[method]
        self._authorize(verb, res, ns or None, name)
        store = self.api.store
        obj = store.get(res, ns, name)
        if obj is None:
            raise not_found(res, name)
        dry = query.get("dryRun") == "All"
        if method == "GET":
            return 200, obj, "application/json"
        if method == "DELETE" and res == "pods":
            gone = copy.deepcopy(obj)
            gone["metadata"]["deletionTimestamp"] = now_iso()
            if not dry:
                store.delete(res, ns, name)
            return 200, gone, "application/json"
        if method == "PATCH" and res == "deployments":
            # a copy: a dry run must leave the stored object (its generation too) untouched
            updated = self._patched(copy.deepcopy(obj), body)
            if updated.get("spec", {}).get("template") != obj["spec"].get("template"):
                updated["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            if dry:
                return 200, updated, "application/json"
            store.objects[res][(ns, name)] = updated
            store.put(res, updated)
            store.reconcile(updated)
            return 200, updated, "application/json"
        raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {res}")

    def _patched(self, obj: dict[str, Any], body: Any) -> dict[str, Any]:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0]
        rv = (
            (body or {}).get("metadata", {}).get("resourceVersion")
            if isinstance(body, dict)
            else None
        )
        if rv and rv != obj["metadata"]["resourceVersion"]:
            raise self._conflict(obj)
        if content_type == "application/json-patch+json":
            try:
                return json_patch(obj, body)
            except (KeyError, IndexError, ValueError, TypeError) as err:
                raise ApiError(422, "Invalid", f"invalid JSON patch: {err}") from err
        if content_type in (
            "application/strategic-merge-patch+json",
            "application/merge-patch+json",
        ):
            merged: dict[str, Any] = strategic_merge(obj, body)
            return merged
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {content_type})",  # noqa: E501
        )

    @staticmethod
    def _conflict(obj: dict[str, Any]) -> ApiError:
        name = obj["metadata"]["name"]
        return ApiError(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on deployments.apps "{name}": the object has been modified; please apply your changes to the latest version and try again',  # noqa: E501
            {"name": name, "group": "apps", "kind": "deployments"},
        )

    # --- scale subresource
    def _scale(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        ns, name = g["ns"], g["name"]
        self._authorize(VERB_BY_METHOD[method], "deployments/scale", ns, name)
        store = self.api.store
        dep = store.get("deployments", ns, name)
        if dep is None:
            raise not_found("deployments", name)
        if method in ("PUT", "PATCH"):
            if method == "PUT":
                rv = (body or {}).get("metadata", {}).get("resourceVersion")
                replicas = (body or {}).get("spec", {}).get("replicas")
            else:
                patched = self._patched(
                    {
                        "metadata": dict(dep["metadata"]),
                        "spec": {"replicas": dep["spec"].get("replicas", 1)},
                    },
                    body,
                )
                rv, replicas = None, patched.get("spec", {}).get("replicas")
            if rv and rv != dep["metadata"]["resourceVersion"]:
                raise self._conflict(dep)
            if not isinstance(replicas, int) or replicas < 0:
                raise ApiError(
                    422,
                    "Invalid",
                    f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0',  # noqa: E501
                    {"name": name, "group": "autoscaling", "kind": "Scale"},
                )
            if query.get("dryRun") != "All":
                dep["spec"]["replicas"] = replicas
                store.put("deployments", dep)
                store.reconcile(dep)
            else:
                dep = copy.deepcopy(dep)
                dep["spec"]["replicas"] = replicas
        sel = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items())
        scale = {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: dep["metadata"][k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            },
            "spec": {"replicas": dep["spec"].get("replicas", 1)},
            "status": {"replicas": dep.get("status", {}).get("replicas", 0), "selector": sel},
        }
        return 200, scale, "application/json"

    # --- logs
    def _log(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        ns, name = g["ns"], g["name"]
        self._authorize("get", "pods/log", ns, name)
        pod = self.api.store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        names = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container")
        if not container:
            if len(names) > 1:
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]",  # noqa: E501
                )
            container = names[0]
        if container not in names:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = query.get("previous") == "true"
        lines = self.api.store.logs.get((ns, name, container, previous))
        if previous and lines is None:
            raise ApiError(
                400,
                "BadRequest",
                f'previous terminated container "{container}" in pod "{name}" not found',
            )
        rows = lines or []
        if query.get("sinceSeconds"):
            cutoff = time.time() - int(query["sinceSeconds"])
            rows = [r for r in rows if r[0] >= cutoff]
        if query.get("tailLines"):
            rows = rows[-int(query["tailLines"]) :] if int(query["tailLines"]) else []
        text = "".join(line + "\n" for _, line in rows)
        if query.get("limitBytes"):  # the API server stops after this many bytes
            text = text.encode()[: int(query["limitBytes"])].decode("utf-8", errors="ignore")
        return 200, text, "text/plain"
