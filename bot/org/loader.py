"""Read the org file and explain every problem with the line it is on.

The YAML is composed into a node tree first (nodes carry line numbers), then constructed and
validated; each pydantic error location is walked down the node tree to find its line.
"""

from __future__ import annotations

import difflib
import logging
import re
import types
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.org.references import REFERENCE_SINK, Loc, ReferenceProblem, suggest
from bot.org.schema import OrgConfig
from bot.org.sections import UNION_TAGS

log = logging.getLogger(__name__)

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"


class _OrgLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 surprises: ``10:30`` stays a string (not 630 in base 60),
    ``no``/``on`` stay strings (a code "NO" must not become False), octal/hex are not numbers."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # A well-formed but impossible date (2025-02-30) raises a bare ValueError without a line.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
            ) from None


# Own copy of the resolver table, without the YAML 1.1 int/float/bool rules replaced below.
_OrgLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_OrgLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_OrgLoader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_OrgLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"
    ),
    list("-+0123456789."),
)
_OrgLoader.add_constructor("tag:yaml.org,2002:timestamp", _OrgLoader.construct_yaml_timestamp)


@dataclass(frozen=True)
class OrgProblem:
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def format(self, filename: str | Path) -> str:
        """``FILE:LINE: path: message (hint: ...)``, the form editors can jump to."""
        where = f"{filename}:{self.line}" if self.line is not None else str(filename)
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class OrgFileError(Exception):
    def __init__(self, problems: list[OrgProblem], source: str | Path = "org file") -> None:
        self.problems = problems
        self.source = source
        first = problems[0].format(source) if problems else str(source)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


def load_org(path: Path) -> OrgConfig:
    org, problems = check_org(path)
    if org is None:
        raise OrgFileError(problems, path)
    return org


def check_org(path: Path) -> tuple[OrgConfig | None, list[OrgProblem]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [OrgProblem(None, "", f"the file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [OrgProblem(None, "", f"cannot read the file: {exc.strerror or exc}")]
    org, problems = parse_org_text(text)
    log.debug("org file checked path=%s problems=%d", path, len(problems))
    return org, problems


def parse_org_text(text: str) -> tuple[OrgConfig | None, list[OrgProblem]]:
    """Validate org file contents; the config is returned only when there is no problem."""
    try:
        root, data = _compose_and_construct(text)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc)]
    if root is None:
        return None, [
            OrgProblem(None, "", "the file is empty", "start from examples/demo-org.yaml")
        ]
    problems = _duplicate_keys(root)
    sink: list[ReferenceProblem] = []
    try:
        org: OrgConfig | None = OrgConfig.model_validate(data, context={REFERENCE_SINK: sink})
    except ValidationError as exc:
        org = None
        problems += _validation_problems(root, exc.errors())
        sink = _references_of_intact_sections(data, exc.errors())
    problems += [_reference_problem(root, problem) for problem in sink]
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return (org if not problems else None), problems


def _references_of_intact_sections(data: Any, errors: list[ErrorDetails]) -> list[ReferenceProblem]:
    """Cross-reference problems of the well-formed sections, so that one run reports a broken
    time and a misspelt brand together. Problems relying on a broken section (left out here)
    are dropped: they could be mere consequences of it."""
    if not isinstance(data, dict) or any(not e["loc"] for e in errors):
        return []  # the file as a whole is wrong
    broken = {str(e["loc"][0]) for e in errors}
    intact = {key: value for key, value in data.items() if key not in broken}
    sink: list[ReferenceProblem] = []
    try:
        OrgConfig.model_validate(intact, context={REFERENCE_SINK: sink})
    except ValidationError:
        return []
    return [p for p in sink if not broken.intersection(p.relies_on)]


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _OrgLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return root, data


def _yaml_problem(exc: yaml.YAMLError) -> OrgProblem:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return OrgProblem(None, "", f"YAML error: {exc}")
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    message = exc.problem or str(exc)
    if exc.context:
        message += f" ({exc.context})"
    if isinstance(exc, yaml.constructor.ConstructorError):
        return OrgProblem(line, "", message)
    return OrgProblem(line, "", f"YAML syntax: {message}", _yaml_hint(message))


def _yaml_hint(message: str) -> str | None:
    if "'\\t'" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return 'quote a value that contains ": ", e.g. name: "A: B"'
    if "expected <block end>" in message or "expected ',' or" in message:
        return "check the indentation of this line and the one before"
    return None


# --- locating a path in the node tree -----------------------------------------------------------


def _mapping_item(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _line_of(root: yaml.Node, loc: Loc) -> int:
    """The line of the deepest node the location reaches (its key line for mapping values)."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            item = _mapping_item(node, part)
            if item is None:
                break
            key_node, node = item
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _file_loc(loc: Loc) -> Loc:
    """Drop tagged-union tags (``metrics[2].derived.formula`` -> ``metrics[2].formula``)."""
    kept: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and part in UNION_TAGS and kept and isinstance(kept[-1], int):
            continue
        kept.append(part)
    return tuple(kept)


def path_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _duplicate_keys(node: yaml.Node) -> list[OrgProblem]:
    """PyYAML silently keeps the last of two equal keys; a second `stores:` would hide the first."""
    problems: list[OrgProblem] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in first_line:
                    problems.append(
                        OrgProblem(
                            line,
                            str(key_node.value),
                            f"duplicate key {key_node.value!r}",
                            f"first defined at line {first_line[key_node.value]}",
                        )
                    )
                first_line.setdefault(key_node.value, line)
            problems += _duplicate_keys(value_node)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems += _duplicate_keys(item)
    return problems


# --- turning pydantic errors into problems ------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _annotation_at(loc: Loc) -> Any:
    """The declared type at a pydantic error location, or None if it cannot be followed."""
    current: Any = OrgConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) not in (list, tuple):
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif part in UNION_TAGS:
            current = UNION_TAGS[part]
        else:
            return None
    return _unwrap(current)


def _literal_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return []


def _model_keys(loc: Loc) -> list[str]:
    annotation = _annotation_at(loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


_SCALARS = (str, int, float, bool, date, datetime)
_CODE_PATTERN_HINT = "use letters, digits, '-', '_' or '.' (no spaces), e.g. HS-SHOPEE"
_KEY_PATTERN_HINT = "use lowercase letters, digits and '_', starting with a letter, e.g. ads_cost"


def _validation_problems(root: yaml.Node, errors: list[ErrorDetails]) -> list[OrgProblem]:
    explained = _missing_explained_by_typos(errors)
    return [
        _validation_problem(root, error)
        for error in errors
        if not (error["type"] == "missing" and tuple(error["loc"]) in explained)
    ]


def _missing_explained_by_typos(errors: list[ErrorDetails]) -> set[Loc]:
    """A typo such as "nmae:" gives "unknown key nmae" and "missing name"; the first says it all."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing" and e["loc"]}
    explained: set[Loc] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not loc:
            continue
        siblings = [str(m[-1]) for m in missing if m[:-1] == loc[:-1]]
        for name in difflib.get_close_matches(str(loc[-1]), siblings, n=1, cutoff=0.6):
            explained.add((*loc[:-1], name))
    return explained


def _validation_problem(root: yaml.Node, error: ErrorDetails) -> OrgProblem:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "type")
    file_loc = _file_loc(loc)
    message, hint = _describe(loc, error)
    return OrgProblem(_line_of(root, file_loc), path_text(file_loc), message, hint)


def _describe(loc: Loc, error: ErrorDetails) -> tuple[str, str | None]:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {name!r}", suggest(name, _model_keys(loc[:-1]))
    if kind == "missing":
        choices = _literal_values(_annotation_at(loc))
        return f"missing required key {name!r}", (
            "one of: " + ", ".join(choices) if choices else None
        )
    if kind == "literal_error":
        choices = _literal_values(_annotation_at(loc))
        return f"{value!r} is not one of: {', '.join(choices)}", _near_miss(value, choices)
    if kind == "union_tag_invalid":
        tags = [tag for tag, model in UNION_TAGS.items() if "type" in model.model_fields]
        return f"unknown type {ctx.get('tag')!r}", suggest(str(ctx.get("tag")), tags)
    if kind == "union_tag_not_found":
        tags = [tag for tag, model in UNION_TAGS.items() if "type" in model.model_fields]
        return "missing required key 'type'", "one of: " + ", ".join(tags)
    if kind == "string_pattern_mismatch":
        pattern_hint = (
            _KEY_PATTERN_HINT if "[a-z]" in str(ctx.get("pattern")) else _CODE_PATTERN_HINT
        )
        return f"invalid {name} {value!r}", pattern_hint
    if kind in ("model_type", "dict_type") and not loc:
        return "the file must be a mapping of sections (timezone:, departments:, stores: ...)", None
    return _plain_message(error), None


def _near_miss(value: object, choices: list[str]) -> str | None:
    return suggest(value, choices, list_known=False) if isinstance(value, str) else None


def _plain_message(error: ErrorDetails) -> str:
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    value = error.get("input")
    if isinstance(value, _SCALARS) and repr(value) not in message:
        message += f" (got {value!r})"
    return message


def _reference_problem(root: yaml.Node, problem: ReferenceProblem) -> OrgProblem:
    return OrgProblem(
        _line_of(root, problem.loc), path_text(problem.loc), problem.message, problem.hint
    )
