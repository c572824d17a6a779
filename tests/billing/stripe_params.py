"""What Stripe's API accepts, read from the installed library's own parameter types (`stripe.params`).

The library's TypedDicts are generated from Stripe's OpenAPI document for the API version it pins,
so they are the contract: a parameter they do not declare, a value of the wrong type or a required
one left out is refused here as Stripe refuses it, with Stripe's words and a 400.
"""

import re
import sys
import types
from decimal import Decimal
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union, get_args, get_origin

from stripe import RequestOptions
from stripe._stripe_context import StripeContext
from typing_extensions import is_typeddict  # the library's TypedDicts are typing_extensions ones

INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
BOOLEANS = ("true", "false")
KIND_NAMES = {str: "string", int: "integer", bool: "boolean", float: "decimal", Decimal: "decimal"}
HEADERS = set(RequestOptions.__annotations__)  # what the TypedDicts share with RequestOptions travels as headers


class Refused(Exception):
    """Stripe's invalid_request_error: `message` in its words, `param` the field it names."""

    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.message, self.param = message, param


def form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0]=x` form fields as nested dicts, keyed by the brackets' contents, as Stripe reads them."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        names = key.replace("]", "").split("[")
        node = tree
        for name in names[:-1]:
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise Refused(f"Invalid object: {key}", key)
            node = child
        node[names[-1]] = value
    return tree


def check(params_type: type, body: dict[str, Any]) -> None:
    """Refused unless `body` (from `form`) is what `params_type`, a top-level stripe.params TypedDict, allows."""
    _typed_dict(params_type, body, "", skip=HEADERS)


def every_parameter(params_type: type) -> int:
    """Resolves every type under `params_type`, so a type the checker cannot judge fails a test, not a request."""
    seen: set[type] = set()

    def walk(hint: Any, owner: type) -> int:
        hint = _resolved(hint, owner)
        if is_typeddict(hint):
            if hint in seen:
                return 0
            seen.add(hint)
            return sum(1 + walk(h, hint) for name, h in hint.__annotations__.items() if name not in HEADERS)
        origin = get_origin(hint)
        if origin in (Union, types.UnionType, list, dict):
            return sum(walk(arg, owner) for arg in get_args(hint))
        _leaf(hint)
        return 0

    return walk(params_type, params_type)


def _typed_dict(cls: type, value: Any, path: str, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    if not isinstance(value, dict):
        raise Refused(f"Invalid object: {path}", path)
    hints = {name: hint for name, hint in cls.__annotations__.items() if name not in skip}
    for name in value:
        if name not in hints:
            raise Refused(f"Received unknown parameter: {_join(path, name)}", _join(path, name))
    for name in sorted(cls.__required_keys__ - skip - set(value)):  # type: ignore[attr-defined]
        raise Refused(f"Missing required param: {_join(path, name)}.", _join(path, name))
    for name, item in value.items():
        _value(hints[name], item, _join(path, name), cls)


def _value(hint: Any, value: Any, path: str, owner: type) -> None:
    hint = _resolved(hint, owner)
    if is_typeddict(hint):
        _typed_dict(hint, value, path)
        return
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        refusals = []
        for option in args:
            try:
                _value(option, value, path, owner)
                return
            except Refused as refused:
                refusals.append(refused)
        raise refusals[0]
    if origin is list:
        if not isinstance(value, dict) or sorted(value, key=_index) != [str(i) for i in range(len(value))]:
            raise Refused(f"Invalid array: {path}", path)
        for index, item in value.items():
            _value(args[0], item, f"{path}[{index}]", owner)
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise Refused(f"Invalid object: {path}", path)
        for key, item in value.items():
            _value(args[1], item, f"{path}[{key}]", owner)
        return
    if origin is Literal:
        allowed = [str(a).lower() if isinstance(a, bool) else str(a) for a in args]
        if value not in allowed:
            raise Refused(f"Invalid {path}: must be one of {', '.join(allowed)}", path)
        return
    if origin is not None and getattr(origin, "__name__", "") == "UntypedStripeObject":
        if not isinstance(value, dict):
            raise Refused(f"Invalid object: {path}", path)
        return
    _scalar(_leaf(hint), value, path)


def _leaf(hint: Any) -> type:
    """The scalar type a form value must spell; anything else is a type this checker was not written for."""
    if hint in (str, int, float, bool, Decimal, Any):
        return hint
    if get_origin(hint) is Literal or getattr(get_origin(hint), "__name__", "") == "UntypedStripeObject":
        return hint
    raise TypeError(f"the fake Stripe cannot judge a {hint!r}")


def _scalar(kind: Any, value: Any, path: str) -> None:
    if kind is Any:
        return
    if not isinstance(value, str):
        raise Refused(f"Invalid {KIND_NAMES.get(kind, kind.__name__)}: {path} is an object", path)
    if kind is int and not INTEGER.fullmatch(value):
        raise Refused(f"Invalid integer: {value}", path)
    if kind in (float, Decimal) and not NUMBER.fullmatch(value):
        raise Refused(f"Invalid decimal: {value}", path)
    if kind is bool and value not in BOOLEANS:
        raise Refused(f"Invalid boolean: {value}", path)


def _resolved(hint: Any, owner: type) -> Any:
    """NotRequired[...] unwrapped and the library's string annotations evaluated in their own module."""
    if get_origin(hint) in (NotRequired, Required):
        hint = get_args(hint)[0]
    if isinstance(hint, ForwardRef):
        hint = hint.__forward_arg__
    if isinstance(hint, str):
        namespace = vars(sys.modules[owner.__module__]) | {"StripeContext": StripeContext}
        hint = eval(hint, namespace)  # the library's own annotations, not input
    return hint


def _join(path: str, name: str) -> str:
    return f"{path}[{name}]" if path else name


def _index(key: str) -> int:
    return int(key) if key.isdigit() else -1
