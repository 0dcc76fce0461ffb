"""The Slack app manifest asks for exactly what the Bolt app uses, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.adapters.slack.intake import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yaml"

# Web API methods the adapter calls -> the bot scope each needs (api.slack.com/methods)
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}


def test_manifest_scopes_are_exactly_the_needed_ones() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = set(METHOD_SCOPES.values()) | set(EVENT_SCOPES.values()) | {"commands"}
    assert scopes == needed
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(EVENT_SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs


def test_the_adapter_calls_only_methods_the_manifest_covers() -> None:
    """Every WebClient method named in the adapter maps to a method with a scope above."""
    folder = MANIFEST.parents[2] / "bot" / "adapters" / "slack"
    source = "\n".join(p.read_text() for p in folder.glob("*.py"))
    names = set(re.findall(r"client\.([a-z]+_\w+)\(", source))  # Slack: family_method
    names |= set(re.findall(r'_call\(\s*"(\w+)"', source))
    assert {"chat_postMessage", "chat_update", "files_upload_v2"} <= names  # the patterns work
    methods: set[str] = set()
    for name in names:
        if name == "files_upload_v2":  # the v2 upload flow is these two API methods
            methods |= {"files.getUploadURLExternal", "files.completeUploadExternal"}
        else:
            methods.add(name.replace("_", "."))
    assert methods - set(METHOD_SCOPES) == set()
