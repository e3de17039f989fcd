"""The options table (model.options, video.options) as the OpenAPI document's JSON Schemas.

One schema per option, with its bounds, default and description from the table: the
web app's types (frontend/src/api/schema.ts) are generated from the document, so the
table's defaults and ranges reach TypeScript from here.
"""

from __future__ import annotations

from typing import Any

from model.hints import MAX_HINTS
from model.options import Option


def option_schema(option: Option) -> dict[str, Any]:
    """The JSON Schema of the option's parsed value (kind "hints": of one list, `Hint` items)."""
    schema: dict[str, Any]
    if option.kind in ("integer", "number"):
        schema = {"type": option.kind, "minimum": option.minimum, "maximum": option.maximum}
    elif option.kind == "choice":
        schema = {"type": "string", "enum": list(option.choices)}
    else:
        schema = {"type": "array", "maxItems": MAX_HINTS, "items": {"$ref": "#/components/schemas/Hint"}}
    if option.default is not None:
        schema["default"] = option.default
    return {**schema, "description": option.description}
