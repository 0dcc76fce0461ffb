"""Load a policy folder (policies/*.yaml) or a single file into one merged `Policy`.

Every problem becomes one line naming the file, the YAML line, the rule and the field path,
e.g. `policies/default.yaml:41: approvals[1].expires_afterr: unknown key (did you mean
'expires_after'?)`. All files are checked and all problems reported together.
"""

from __future__ import annotations

import os
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
MAX_POLICY_FILE_BYTES = 1024 * 1024  # checked before parsing; real policies are a few KiB
MAX_YAML_VALUES = 100_000  # after expanding aliases; the shipped policy has a few hundred


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
    origin: str = ""  # file name and place, e.g. 'default.yaml:denies[0]'

    @classmethod
    def of(cls, label: str, rule: R, origin: str = "") -> Labeled[R]:
        return cls(label, rule, rule.kinds(), rule.explicit_kinds(), origin or label)

    def where(self, field: str) -> str:
        """'default.yaml:denies[0].hosts [rule 'x']' for messages about one field."""
        named = f" [rule '{self.label}']" if self.label != self.origin else ""
        return f"{self.origin}.{field}{named}"


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


def policy_files(path: Path) -> tuple[list[Path], list[str]]:
    """The policy files a path stands for (itself, or the folder's *.yaml/*.yml in any case)
    and one problem per folder entry that is neither loaded nor one of the ignored ones:
    `tests/` (test cases), README/*.md (documentation) and hidden entries (a Kubernetes
    ConfigMap volume keeps its real files in `..data/` and links to them)."""
    if not path.is_dir():
        return [path], []
    files: list[Path] = []
    problems: list[str] = []
    for entry in sorted(path.iterdir()):
        name = entry.name
        if name.startswith(".") or entry.suffix.lower() == ".md" or name.upper() == "README":
            continue
        if name == "tests" and entry.is_dir():
            continue
        if entry.is_symlink() and not entry.exists():
            problems.append(
                f"{entry}: a link to {os.readlink(entry)}, which does not exist; "
                "fix or remove the link"
            )
        elif entry.is_dir():
            problems.append(
                f"{entry}: a folder inside the policy folder; subfolders are not read "
                "(only tests/ is allowed): move its files up or remove it"
            )
        elif entry.suffix.lower() not in (".yaml", ".yml"):
            problems.append(
                f"{entry}: not a policy file (*.yaml or *.yml); rename or remove it "
                "(only tests/, README, *.md and hidden entries are ignored)"
            )
        elif not entry.is_file():
            problems.append(f"{entry}: not a regular file; replace it with a policy file")
        else:
            files.append(entry)
    return files, problems


def load_policy(path: Path) -> Policy:
    """Load and validate; raise PolicyError listing every problem (never returns a half policy)."""
    if not path.exists():
        raise PolicyError([f"{path}: no such file or folder (expected policies/ or a .yaml file)"])
    files, problems = policy_files(path)
    if not files and not problems:
        raise PolicyError([f"{path}: no *.yaml policy files in this folder"])
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
    loaded = read_yaml(file)
    if isinstance(loaded, list):
        return loaded
    data, node = loaded
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [f"{file}: the top level must be a mapping with keys like grants:, approvals:"]
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as err:
        return [format_error(file, e, data, node, PolicyFile) for e in err.errors()]


def read_yaml(file: Path) -> tuple[Any, yaml.Node | None] | list[str]:
    """(data, node tree for line numbers), or problems: too large, unreadable, bad YAML,
    nested too deeply, or aliases that expand beyond MAX_YAML_VALUES (a "billion laughs")."""
    try:
        size = file.stat().st_size
        if size <= MAX_POLICY_FILE_BYTES:
            with file.open("rb") as stream:
                raw = stream.read(MAX_POLICY_FILE_BYTES + 1)
            size = len(raw)
    except OSError as err:
        return [f"{file}: cannot read: {err}"]
    if size > MAX_POLICY_FILE_BYTES:
        return [
            f"{file}: {size} bytes is larger than the {MAX_POLICY_FILE_BYTES} bytes a policy "
            "file may have; split it into several files"
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return [f"{file}: cannot read: not UTF-8 ({err})"]
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        sizes: dict[int, int] = {}
        if _expanded_size(node, sizes, set()) > MAX_YAML_VALUES:
            if len(sizes) > MAX_YAML_VALUES:
                what, fix = "has", "split it or use fewer, broader rules"
            else:
                what, fix = "anchors and aliases expand to", "write the values out instead"
            return [
                f"{file}: the YAML {what} more than {MAX_YAML_VALUES} values; "
                f"a policy needs far fewer ({fix})"
            ]
        return loader.construct_document(node), node
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(err, "problem", None) or str(err)
        kind = (
            "YAML error"
            if isinstance(err, yaml.constructor.ConstructorError)
            else ("YAML syntax error")
        )
        return [f"{where}: {kind}: {problem}"]
    except RecursionError:
        return [f"{file}: the YAML is nested too deeply; a policy needs a few levels only"]
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values the document has once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise yaml.constructor.ConstructorError(
            None, None, "an alias refers to a value that contains it", node.start_mark
        )
    open_nodes.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(item, sizes, open_nodes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
    open_nodes.discard(key)
    sizes[key] = min(total, MAX_YAML_VALUES + 1)
    return sizes[key]


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
    elif error["type"] == "string_type" and isinstance(error.get("input"), bool):
        msg += (
            " (YAML reads yes/no/on/off/true/false as booleans: quote it, "
            'e.g. "no", to mean the name)'
        )
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
    """The 1-based line of the deepest YAML node along `loc`.

    The last matching key wins: after a merge (`<<: *x`) a local key follows the merged ones.
    """
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    found = key if part == loc[-1] else value
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
                origin = f"{file.name}:{section}[{index}]"
                label = rule.name or origin
                if rule.name and rule.name in seen:
                    problems.append(
                        f"{where}.name: duplicate rule name {rule.name!r} "
                        f"(first used at {seen[rule.name]}); names must be unique"
                    )
                seen.setdefault(label, where)
                sections[section].append(Labeled.of(label, rule, origin))
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
    """SafeLoader that rejects duplicate keys (PyYAML would silently keep the last one) and
    explains a merge key (`<<: *anchor`) whose value is not a mapping."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            _check_merge(key_node, value_node)
            continue
        key = loader.construct_object(key_node)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return dict(_pairs(loader, node))


def _check_merge(key_node: yaml.Node, value_node: yaml.Node) -> None:
    values = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    if not all(isinstance(v, yaml.MappingNode) for v in values):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            "'<<' (merge key) needs a mapping, e.g. '<<: *prod' where '&prod' marks a "
            "mapping, or a list of them",
            key_node.start_mark,
        )


def _pairs(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[tuple[Any, Any]]:
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        yield loader.construct_object(key_node), loader.construct_object(value_node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
