"""Load a policy folder (policies/*.yaml) or a single file into one merged `Policy`.

Every problem becomes one line naming the file, the YAML line, the rule and the field path,
e.g. `policies/default.yaml:41: approvals[1].expires_afterr: unknown key (did you mean
'expires_after'?)`. All files are checked and all problems reported together.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.policy.model import Approval, Deny, Freeze, Grant, Limit, PolicyFile, Scoped
from bot.policy.patterns import did_you_mean

SECTIONS = ("grants", "denies", "limits", "freezes", "approvals")


class PolicyError(Exception):
    """The policy cannot be used. `problems` holds one actionable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Labeled[R: Scoped]:
    """A rule with the label reasons and audit show (its name, or file:section[i])."""

    label: str
    rule: R
    kinds: frozenset[str]
    explicit_kinds: frozenset[str]

    @classmethod
    def of(cls, label: str, rule: R) -> Labeled[R]:
        return cls(label, rule, rule.kinds(), rule.explicit_kinds())


@dataclass(frozen=True)
class Policy:
    """All policy files merged: lists concatenated in file order, static groups unioned."""

    source: Path
    files: tuple[Path, ...] = ()
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    default_context: str = "default"
    grants: tuple[Labeled[Grant], ...] = ()
    denies: tuple[Labeled[Deny], ...] = ()
    limits: tuple[Labeled[Limit], ...] = ()
    freezes: tuple[Labeled[Freeze], ...] = ()
    approvals: tuple[Labeled[Approval], ...] = ()

    @property
    def rule_count(self) -> int:
        return sum(len(getattr(self, s)) for s in SECTIONS)


def policy_files(path: Path) -> list[Path]:
    """The policy files a path stands for: itself, or the folder's *.yaml/*.yml (not tests/)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    return [path]


def load_policy(path: Path) -> Policy:
    """Load and validate; raise PolicyError listing every problem (never returns a half policy)."""
    if not path.exists():
        raise PolicyError([f"{path}: no such file or folder (expected policies/ or a .yaml file)"])
    files = policy_files(path)
    if not files:
        raise PolicyError([f"{path}: no *.yaml policy files in this folder"])
    problems: list[str] = []
    parsed: list[tuple[Path, PolicyFile]] = []
    for file in files:
        result = load_file(file)
        if isinstance(result, PolicyFile):
            parsed.append((file, result))
        else:
            problems.extend(result)
    policy = _merge(path, parsed, problems)
    if problems:
        raise PolicyError(problems)
    return policy


def parse_policy(data: dict[str, Any], *, source: Path = Path("<memory>")) -> Policy:
    """A policy from already-parsed data (one file's worth), validated like a file."""
    try:
        content = PolicyFile.model_validate(data)
    except ValidationError as err:
        raise PolicyError(
            [format_error(source, e, data, None, PolicyFile) for e in err.errors()]
        ) from None
    problems: list[str] = []
    policy = _merge(source, [(source, content)], problems)
    if problems:
        raise PolicyError(problems)
    return policy


def load_file(file: Path) -> PolicyFile | list[str]:
    """One file -> its model, or the list of problems found in it."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return [f"{file}: cannot read: {err}"]
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(err, "problem", None) or str(err)
        return [f"{where}: YAML syntax error: {problem}"]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [f"{file}: the top level must be a mapping with keys like grants:, approvals:"]
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as err:
        return [format_error(file, e, data, node, PolicyFile) for e in err.errors()]


def format_error(
    file: Path, error: Any, data: Any, node: yaml.Node | None, root: type[BaseModel]
) -> str:
    """One pydantic error -> 'file:line: section[i].field: message [rule NAME]'."""
    loc: tuple[Any, ...] = tuple(error["loc"])
    msg = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "extra_forbidden":
        allowed = _fields_at(root, loc[:-1])
        msg = f"unknown key{did_you_mean(str(loc[-1]), allowed)}"
        if allowed:
            msg += f"; allowed here: {', '.join(allowed)}"
    elif match := re.match(r"^([A-Za-z_][\w.]*): (.*)$", msg, re.DOTALL):
        loc = (*loc, *match[1].split("."))
        msg = match[2]
    path = _path_text(loc)
    line = _line_of(node, loc)
    where = f"{file}:{line}" if line else str(file)
    rule = _rule_name(data, loc)
    suffix = f" [rule '{rule}']" if rule else ""
    return f"{where}: {path or '(top level)'}: {msg}{suffix}"


def _path_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _rule_name(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] in SECTIONS and isinstance(loc[1], int):
        section = data.get(loc[0]) if isinstance(data, dict) else None
        if isinstance(section, list) and loc[1] < len(section):
            rule = section[loc[1]]
            if isinstance(rule, dict) and isinstance(rule.get("name"), str):
                return str(rule["name"])
    return None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along `loc`."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    found = key if part == loc[-1] else value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            found = node.value[part] if part < len(node.value) else None
        if found is None:
            break
        node = found
        line = node.start_mark.line + 1
    return line


def _fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys the model at `loc` accepts, to suggest the closest one for a misspelling."""
    current: Any = root
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any, part: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(str(part))
        return info.annotation if info else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple) and isinstance(part, int):
        return args[0] if args else None
    if origin is dict:
        return args[1] if len(args) == 2 else None
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                return _unwrap(arg, part)
    if origin is typing.Annotated:
        return _unwrap(args[0], part)
    return None


def _merge(source: Path, parsed: list[tuple[Path, PolicyFile]], problems: list[str]) -> Policy:
    groups: dict[str, set[str]] = {}
    contexts: dict[str, Path] = {}
    sections: dict[str, list[Labeled[Any]]] = {s: [] for s in SECTIONS}
    seen: dict[str, str] = {}
    for file, content in parsed:
        for user, names in content.groups.items():
            groups.setdefault(user, set()).update(names)
        if "default_context" in content.model_fields_set:
            contexts[content.default_context] = file
        for section in SECTIONS:
            for index, rule in enumerate(getattr(content, section)):
                where = f"{file}: {section}[{index}]"
                label = rule.name or f"{file.name}:{section}[{index}]"
                if rule.name and rule.name in seen:
                    problems.append(
                        f"{where}.name: duplicate rule name {rule.name!r} "
                        f"(first used at {seen[rule.name]}); names must be unique"
                    )
                seen.setdefault(label, where)
                sections[section].append(Labeled.of(label, rule))
    if len(contexts) > 1:
        listed = ", ".join(f"{name!r} in {file}" for name, file in contexts.items())
        problems.append(f"{source}: default_context differs between files: {listed}")
    return Policy(
        source=source,
        files=tuple(file for file, _ in parsed),
        groups={user: frozenset(names) for user, names in groups.items()},
        default_context=next(iter(contexts), "default"),
        grants=tuple(sections["grants"]),
        denies=tuple(sections["denies"]),
        limits=tuple(sections["limits"]),
        freezes=tuple(sections["freezes"]),
        approvals=tuple(sections["approvals"]),
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML would silently keep the last one)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return dict(_pairs(loader, node))


def _pairs(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[tuple[Any, Any]]:
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        yield loader.construct_object(key_node), loader.construct_object(value_node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
