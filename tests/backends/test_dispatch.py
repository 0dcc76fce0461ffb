"""One dispatch per backend, derived from the catalog: every catalog operation has exactly one
handler, and a backend whose handlers do not match the catalog cannot be built."""

from __future__ import annotations

import pytest

from bot.backends.base import Preview, Result, Status
from bot.backends.dispatch import Dispatch, DispatchError, Handler, handler
from bot.backends.docker_backend import DISPATCH as DOCKER_DISPATCH
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import OPERATION_TYPES, BackendKind, Operation, Risk
from bot.catalog.docker_ops import ContainerLogs, ListContainers, StopContainer
from bot.catalog.kubernetes_ops import ListPods
from bot.config import Settings
from bot.reports.backend import DISPATCH as HOST_DISPATCH


def _ok(_ctx: None, _op: Operation) -> Result:
    return Result(status=Status.SUCCESS, call="-")


def _preview(_ctx: None, _op: Operation) -> Preview:
    return Preview(note="-")


def _complete(backend: BackendKind) -> list[Handler[None]]:
    """A correct handler list for `backend`: a preview exactly for the writes."""
    return [
        handler(t, _ok, _preview if t.risk != Risk.READ else None)
        for t in OPERATION_TYPES
        if t.backend == backend
    ]


def test_every_catalog_operation_has_exactly_one_handler() -> None:
    dispatches = {
        BackendKind.KUBERNETES: KubernetesBackend(settings=Settings()).dispatch,
        BackendKind.DOCKER: DOCKER_DISPATCH,
        BackendKind.HOST: HOST_DISPATCH,
    }
    handled: list[str] = []
    for backend, dispatch in dispatches.items():
        assert dispatch.backend == backend
        assert dispatch.kinds() == [t.kind for t in OPERATION_TYPES if t.backend == backend]
        handled += dispatch.kinds()
    assert sorted(handled) == sorted(t.kind for t in OPERATION_TYPES)
    for t in OPERATION_TYPES:
        entry = dispatches[t.backend].handler_for(t.model_construct())
        assert entry is not None and entry.op_type is t
        assert (entry.preview is not None) == (t.risk != Risk.READ), t.kind


def test_a_complete_list_builds() -> None:
    dispatch = Dispatch(BackendKind.DOCKER, _complete(BackendKind.DOCKER))
    assert dispatch.handler_for(ListPods()) is None  # another backend's operation


def test_a_missing_handler_fails_when_built() -> None:
    handlers = [h for h in _complete(BackendKind.DOCKER) if h.op_type is not ContainerLogs]
    with pytest.raises(DispatchError, match="no handler for container_logs"):
        Dispatch(BackendKind.DOCKER, handlers)


def test_a_second_handler_fails_when_built() -> None:
    handlers = [*_complete(BackendKind.DOCKER), handler(ListContainers, _ok)]
    with pytest.raises(DispatchError, match="two handlers for list_containers"):
        Dispatch(BackendKind.DOCKER, handlers)


def test_another_backends_operation_fails_when_built() -> None:
    handlers = [*_complete(BackendKind.DOCKER), handler(ListPods, _ok)]
    with pytest.raises(DispatchError, match="list_pods is not a catalog operation of the docker"):
        Dispatch(BackendKind.DOCKER, handlers)


@pytest.mark.parametrize(
    ("op_type", "wrong"),
    [(StopContainer, handler(StopContainer, _ok)), (ListContainers, None)],
    ids=["write-without-preview", "read-with-preview"],
)
def test_previews_exactly_for_writes(op_type: type[Operation], wrong: Handler[None] | None) -> None:
    replacement = wrong or handler(op_type, _ok, _preview)
    handlers = [h for h in _complete(BackendKind.DOCKER) if h.op_type is not op_type]
    with pytest.raises(DispatchError, match=f"{op_type.kind}: a write needs a preview"):
        Dispatch(BackendKind.DOCKER, [*handlers, replacement])
