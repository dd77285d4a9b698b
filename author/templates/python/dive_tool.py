"""dive_tool: write dive tools in Python, built into a WASI component by componentize-py.

    from dive_tool import Tools, Field, InvalidArgs
    tools = Tools()

    @tools.tool(examples=[{"text": "hello"}])
    def reverse_text(text: Annotated[str, Field("Text to reverse.")]) -> str:
        "Reverse a string."
        return text[::-1]

    Tool = tools.export()     # the class componentize-py instantiates for dive:tool/tool

- The input schema (JSON Schema 2020-12) comes from the function's parameters: their
  type hints (str, int, float, bool, list[T], dict[str, T], Optional[T], Literal[...],
  dataclasses), their defaults, and `Annotated[T, Field(...)]` for a description, an
  `x-dive-type`, bounds or a pattern. The output schema comes from the return type.
- The description is the docstring's first paragraph.
- `raise InvalidArgs(msg)` / `raise Upstream(msg)` become the WIT tool-error of that
  kind; any other exception becomes `internal` with its type and message.
- Outside a component (plain CPython running the tests), `Tool` works the same, with
  a tool error raised as `ToolCallError`.
"""

import dataclasses
import inspect
import json
import types
import typing

__all__ = ["Field", "InvalidArgs", "ToolCallError", "ToolFailure", "Tools", "Upstream", "schema_of"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

try:  # inside a component built by componentize-py
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.imports.dive_tool_types import (
        ToolError_Internal,
        ToolError_InvalidArgs,
        ToolError_Upstream,
        ToolSpec,
    )

    _ToolBase = exports.Tool
    _NATIVE = False
except ImportError:  # plain CPython: the same classes, for tests
    _ToolBase = object
    _NATIVE = True

    @dataclasses.dataclass
    class ToolSpec:
        name: str
        description: str
        input_schema: str
        output_schema: typing.Optional[str]

    @dataclasses.dataclass
    class ToolError_InvalidArgs:
        value: str

    @dataclasses.dataclass
    class ToolError_Upstream:
        value: str

    @dataclasses.dataclass
    class ToolError_Internal:
        value: str

    class Err(Exception):
        def __init__(self, value):
            super().__init__(value)
            self.value = value


_KIND = {ToolError_InvalidArgs: "invalid-args", ToolError_Upstream: "upstream", ToolError_Internal: "internal"}


class ToolCallError(Err):
    """A tool error as plain CPython sees it (in a component, the host receives it)."""

    @property
    def kind(self):
        return _KIND[type(self.value)]

    @property
    def message(self):
        return self.value.value


class ToolFailure(Exception):
    """Base of the errors a tool raises on purpose."""

    wit = ToolError_Internal


class InvalidArgs(ToolFailure):
    """The arguments were rejected (the WIT tool-error `invalid-args`)."""

    wit = ToolError_InvalidArgs


class Upstream(ToolFailure):
    """The remote service failed or answered an error (`upstream`)."""

    wit = ToolError_Upstream


@dataclasses.dataclass(frozen=True)
class Field:
    """What a type hint cannot say: `Annotated[str, Field("What it is.", dive_type="doi")]`."""

    description: typing.Optional[str] = None
    dive_type: typing.Optional[str] = None
    minimum: typing.Optional[float] = None
    maximum: typing.Optional[float] = None
    min_length: typing.Optional[int] = None
    max_length: typing.Optional[int] = None
    pattern: typing.Optional[str] = None

    def apply(self, schema):
        keywords = {
            "description": self.description,
            "x-dive-type": self.dive_type,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "pattern": self.pattern,
        }
        is_array = schema.get("type") == "array"
        keywords["minItems" if is_array else "minLength"] = self.min_length
        keywords["maxItems" if is_array else "maxLength"] = self.max_length
        schema.update({k: v for k, v in keywords.items() if v is not None})
        return schema


_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def schema_of(tp):
    """The JSON Schema of a type hint."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        schema = schema_of(args[0])
        for meta in args[1:]:
            if isinstance(meta, Field):
                meta.apply(schema)
        return schema
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    if tp is typing.Any:
        return {}
    if origin in (list, typing.List) or tp is list:
        return {"type": "array", "items": schema_of(args[0])} if args else {"type": "array"}
    if origin in (dict, typing.Dict) or tp is dict:
        return {"type": "object", "additionalProperties": schema_of(args[1])} if args else {"type": "object"}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_of(a) for a in args]}
    if dataclasses.is_dataclass(tp):
        return _object_schema(_dataclass_fields(tp))
    raise TypeError(f"dive_tool cannot describe the type {tp!r} as JSON Schema")


def _dataclass_fields(cls):
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in dataclasses.fields(cls):
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        yield f.name, hints[f.name], has_default, default


def _object_schema(fields):
    properties, required = {}, []
    for name, hint, has_default, default in fields:
        schema = schema_of(hint)
        if default is not inspect.Parameter.empty and _is_json(default):
            schema["default"] = default
        properties[name] = schema
        if not has_default:
            required.append(name)
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _is_json(value):
    try:
        json.dumps(value, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False


def _description(fn):
    doc = inspect.getdoc(fn) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _to_json(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _from_json(value, hint):
    """Arguments arrive as JSON; a parameter typed as a dataclass gets one."""
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints = typing.get_type_hints(hint, include_extras=True)
        return hint(**{k: _from_json(v, hints.get(k, typing.Any)) for k, v in value.items()})
    return value


@dataclasses.dataclass
class _Entry:
    fn: typing.Callable
    spec: ToolSpec
    hints: dict


class Tools:
    """The tools of one component."""

    def __init__(self):
        self._tools = {}

    def tool(self, fn=None, *, name=None, description=None, examples=None):
        """Register a function as a tool (usable as `@tools.tool` or `@tools.tool(...)`)."""

        def register(fn):
            self._register(fn, name or fn.__name__, description or _description(fn), examples)
            return fn

        return register(fn) if fn is not None else register

    def _register(self, fn, name, description, examples):
        if name in self._tools:
            raise ValueError(f"two tools are named {name!r}")
        if not description:
            raise ValueError(f"tool {name!r} needs a description (a docstring or description=)")
        hints = typing.get_type_hints(fn, include_extras=True)
        params = inspect.signature(fn).parameters.values()
        fields = [
            (p.name, hints.get(p.name, typing.Any), p.default is not inspect.Parameter.empty, p.default)
            for p in params
        ]
        input_schema = {"$schema": SCHEMA_DIALECT, **_object_schema(fields)}
        if examples:
            input_schema["examples"] = list(examples)
        returns = hints.get("return", typing.Any)
        output_schema = None if returns is typing.Any else {"$schema": SCHEMA_DIALECT, **schema_of(returns)}
        spec = ToolSpec(
            name=name,
            description=description,
            input_schema=json.dumps(input_schema),
            output_schema=json.dumps(output_schema) if output_schema is not None else None,
        )
        self._tools[name] = _Entry(fn, spec, hints)

    def specs(self):
        return [e.spec for e in self._tools.values()]

    def call_json(self, name, args):
        """Run one tool: JSON text in, JSON text out; a failure raises the WIT error."""
        entry = self._tools.get(name)
        if entry is None:
            raise _err(ToolError_InvalidArgs(f"this component has no tool named {name!r}"))
        try:
            parsed = json.loads(args)
        except ValueError as e:
            raise _err(ToolError_InvalidArgs(f"{name}: the arguments are not JSON: {e}"))
        if not isinstance(parsed, dict):
            raise _err(ToolError_InvalidArgs(f"{name}: the arguments must be a JSON object"))
        kwargs = {k: _from_json(v, entry.hints.get(k, typing.Any)) for k, v in parsed.items()}
        try:
            bound = inspect.signature(entry.fn).bind(**kwargs)
        except TypeError as e:
            raise _err(ToolError_InvalidArgs(f"{name}: {e}"))
        try:
            result = entry.fn(*bound.args, **bound.kwargs)
        except ToolFailure as e:
            raise _err(e.wit(str(e)))
        except Exception as e:  # noqa: BLE001 - every other failure is the tool's own
            raise _err(ToolError_Internal(f"{type(e).__name__}: {e}"))
        try:
            return json.dumps(_to_json(result), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise _err(ToolError_Internal(f"{name}: the result is not JSON: {e}"))

    def export(self):
        """The class componentize-py instantiates for the dive:tool/tool export."""
        registry = self

        class Tool(_ToolBase):
            def list_tools(self):
                return registry.specs()

            def call(self, name, args):
                return registry.call_json(name, args)

        return Tool


def _err(value):
    return ToolCallError(value) if _NATIVE else Err(value)
