"""Docker backend writes against the real daemon: preview, start/stop/restart, before/after,
and the catalog's inverse undoing a stop."""

from __future__ import annotations

from bot.backends.base import Status
from bot.backends.docker_backend import DockerBackend
from bot.catalog import parse_operation
from tests.fixtures.docker_backend import ContainerFactory


def _state(container) -> dict:
    container.reload()
    return container.attrs["State"]


def test_stop_then_inverse_start_undoes_it(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("web-1")
    stop = parse_operation(
        {"operation": "stop_container", "container": web.name, "timeout_seconds": 0}
    )

    result = docker_backend.execute(stop)

    assert result.status == Status.SUCCESS, result.error
    assert result.call == f"POST /containers/{web.name}/stop?t=0 on host default"
    assert result.before is not None and result.after is not None
    assert result.before["running"] is True
    assert result.before["status"] == "running"
    assert result.after["running"] is False
    assert result.after["status"] == "exited"
    assert _state(web)["Running"] is False
    assert "running -> exited" in (result.text or "")

    undo = stop.inverse(result.before)
    assert undo is not None and undo.kind == "start_container"
    undone = docker_backend.execute(undo)

    assert undone.status == Status.SUCCESS, undone.error
    assert undone.call == f"POST /containers/{web.name}/start on host default"
    assert undone.before == result.after | {"exit_code": undone.before["exit_code"]}
    assert undone.after is not None and undone.after["running"] is True
    assert _state(web)["Running"] is True
    # starting what was stopped has an inverse again; stopping a stopped container has none
    assert undo.inverse(undone.before) is not None
    assert stop.inverse({"running": False, "status": "exited"}) is None


def test_restart_changes_start_time(docker_backend: DockerBackend, containers: ContainerFactory):
    web = containers.run("web-1")
    started_before = _state(web)["StartedAt"]
    op = parse_operation(
        {"operation": "restart_container", "container": web.name, "timeout_seconds": 0}
    )

    result = docker_backend.execute(op)

    assert result.status == Status.SUCCESS, result.error
    assert result.call == f"POST /containers/{web.name}/restart?t=0 on host default"
    assert result.before is not None and result.after is not None
    assert result.before["started_at"] == started_before
    assert result.after["running"] is True
    assert result.after["started_at"] != started_before
    assert _state(web)["StartedAt"] == result.after["started_at"]


def test_preview_of_stop_shows_current_and_desired_without_changing_anything(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("web-1")
    op = parse_operation({"operation": "stop_container", "container": web.name})

    preview = docker_backend.preview(op)

    assert preview.current["running"] is True
    assert preview.current["status"] == "running"
    assert preview.current["restart_count"] == 0
    assert preview.current["started_at"]
    assert preview.desired == {"running": False, "status": "exited"}
    assert preview.dry_run is not None
    assert preview.dry_run.status == Status.SUCCESS
    assert preview.dry_run.call == f"GET /containers/{web.name}/json on host default"
    assert "SIGKILL after 10s" in (preview.note or "")
    assert "no server-side dry run" in (preview.note or "")
    assert _state(web)["Running"] is True


def test_preview_says_already_stopped(docker_backend: DockerBackend, containers: ContainerFactory):
    idle = containers.run("idle", start=False)
    stop = parse_operation({"operation": "stop_container", "container": idle.name})
    start = parse_operation({"operation": "start_container", "container": idle.name})

    stop_preview = docker_backend.preview(stop)
    start_preview = docker_backend.preview(start)

    assert stop_preview.dry_run is not None
    assert stop_preview.dry_run.status == Status.NO_DATA
    assert "already stopped" in (stop_preview.note or "")
    assert start_preview.dry_run is not None
    assert start_preview.dry_run.status == Status.SUCCESS
    assert start_preview.desired == {"running": True, "status": "running"}
    assert _state(idle)["Status"] == "created"  # previews changed nothing


def test_preview_of_start_on_running_container_is_no_data(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("web-1")
    preview = docker_backend.preview(
        parse_operation({"operation": "start_container", "container": web.name})
    )
    assert preview.dry_run is not None
    assert preview.dry_run.status == Status.NO_DATA
    assert "already running" in (preview.note or "")


def test_starting_a_running_container_changes_nothing_and_has_no_inverse(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("web-1")
    started_at = _state(web)["StartedAt"]
    op = parse_operation({"operation": "start_container", "container": web.name})

    result = docker_backend.execute(op)

    assert result.status == Status.SUCCESS, result.error
    assert "already running" in (result.text or "")
    assert result.before is not None and result.before["running"] is True
    assert op.inverse(result.before) is None
    assert _state(web)["StartedAt"] == started_at


def test_read_preview_is_a_note(docker_backend: DockerBackend):
    preview = docker_backend.preview(parse_operation({"operation": "list_containers"}))
    assert preview.dry_run is None
    assert preview.note == "read-only: nothing changes"
