"""The colorize options, declared once: name, type, bounds, default and description.

Everything that takes a colorize option reads it from `COLORIZE_OPTIONS`:

- the REST service parses its query string and form fields with `parse_options`
  (inference_service/routes.py) and describes them in its OpenAPI document
  (inference_service/option_schemas.py), from which the web app's types are generated;
- the gateway forwards the query parameters that document lists (gateway/src/routes/colorize.js);
- the offline CLI builds its flags from the same entries (colorizer_cli/option_flags.py).

This module holds what an option is (values, defaults, bounds, parsing), not how an
interface spells it: flag names are the CLI's, JSON Schema the service's. A film's own
options (`crf`) are the video package's (video/options.py), in the same `Option` form.

A new option is one more entry here; the tests check that every one of those places
has it. Values come in as text (a query string, a form field, a command-line flag)
and are parsed strictly: plain ASCII decimal numbers only, so "nan", "inf", "0x10",
"1e400" and numbers with hundreds of digits are refused with the option's bounds in
the message, never turned into a crash or a silently clipped value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from model.hints import MAX_HINTS, Hint, HintError, parse_hints
from model.image_formats import DEFAULT_QUALITY, FORMAT_ALIASES, OUTPUT_FORMATS, OutputFormat

Kind = Literal["integer", "number", "choice", "hints"]

# Longest value quoted back in an error message, and longest number text read at all
# (a bound-checked option needs no more digits than this; more is refused before int()).
_QUOTED_CHARS = 40
_MAX_NUMBER_CHARS = 32
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# A plain decimal number ("1", "0.5", ".5", "1e0"); refuses "nan", "inf" and hex.
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
# Longest problem description of a hint list (its message may quote the client's value).
_MAX_MESSAGE_CHARS = 300


class OptionError(ValueError):
    """A value an option does not take; `name` is the option, the message says what it takes."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Option:
    """One colorize option as every interface takes it."""

    name: str  # the API's parameter name (the CLI's flag: colorizer_cli.option_flags.flag_of)
    kind: Kind
    description: str  # one or two sentences, for the API document and --help alike
    default: Any = None  # None: chosen at run time (e.g. the model's render size)
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # kind "choice": accepted spellings (aliases included)
    aliases: Mapping[str, str] = field(default_factory=dict)  # kind "choice": spelling -> canonical

    @property
    def bounds(self) -> tuple[float, float]:
        """(minimum, maximum) of a numeric option."""
        if self.minimum is None or self.maximum is None:
            raise TypeError(f"option {self.name} has no bounds")
        return self.minimum, self.maximum

    def _range_text(self) -> str:
        low, high = self.bounds
        return f"between {low:g} and {high:g}"

    def parse(self, text: str) -> Any:
        """The value `text` stands for, or OptionError. Blank text is the caller's business (the default)."""
        if self.kind == "integer":
            return self._number(text, _INTEGER, int, f"an integer {self._range_text()}")
        if self.kind == "number":
            return self._number(text, _DECIMAL, float, f"a number {self._range_text()}")
        if self.kind == "choice":
            canonical = self.aliases.get(text.lower(), text.lower())
            if canonical not in self.choices:
                raise OptionError(
                    self.name, f"'{self.name}' must be one of {', '.join(self.choices)}, got {text[:_QUOTED_CHARS]!r}."
                )
            return canonical
        return self._hints(text)

    def _number(self, text: str, pattern: re.Pattern[str], convert: Callable[[str], float], expected: str) -> Any:
        if len(text) > _MAX_NUMBER_CHARS or not pattern.match(text):
            raise OptionError(self.name, f"'{self.name}' must be {expected}, got {text[:_QUOTED_CHARS]!r}.")
        number = convert(text)
        low, high = self.bounds
        if not low <= number <= high:  # also refuses the infinity of "1e400"
            raise OptionError(self.name, f"'{self.name}' must be {expected}, got {text[:_QUOTED_CHARS]}.")
        return number

    def _hints(self, text: str) -> tuple[Hint, ...]:
        try:
            return tuple(parse_hints(text, max_hints=MAX_HINTS))
        except HintError as error:
            message = str(error)
        except (ValueError, RecursionError):
            # json's own limits: an integer of thousands of digits, or arrays nested thousands deep.
            message = "hints must be a JSON array of {x, y, color} objects (this one is too deeply nested or too long)"
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[: _MAX_MESSAGE_CHARS - 3] + "..."
        raise OptionError(self.name, message)


RENDER_SIZE = Option(
    "render_size",
    "integer",
    "Short side, in pixels, of the image the model sees (default: the model's render size). "
    "The output always has the input's size.",
    minimum=64,
    maximum=1024,
)
OUTPUT_FORMAT = Option(
    "format",
    "choice",
    "Output encoding.",
    default="png",
    choices=(*OUTPUT_FORMATS, *FORMAT_ALIASES),
    aliases=FORMAT_ALIASES,
)
QUALITY = Option(
    "quality",
    "integer",
    "Encoder quality for jpeg and webp (validated, but unused, for png).",
    default=DEFAULT_QUALITY,
    minimum=1,
    maximum=100,
)
VIBRANCE = Option(
    "vibrance",
    "number",
    "Scales the colours' saturation (a*, b*): 0 gives the grayscale image, 1 the model's colours, "
    "2 twice as saturated (clipped to sRGB).",
    default=1.0,
    minimum=0.0,
    maximum=2.0,
)
HINTS = Option(
    "hints",
    "hints",
    f"Colour hints, a JSON array of at most {MAX_HINTS} objects "
    '`{"x": 0.25, "y": 0.6, "color": "#a03020"}`: this spot should be this colour, and the region '
    "around it follows, up to its edges. x from the left, y from the top, 0..1 relative to the image "
    'as oriented by EXIF. An optional "reach" (small, medium or whole; whole by default) limits '
    "how far a hint's colour spreads. Only for a model that takes hints.",
)

COLORIZE_OPTIONS: tuple[Option, ...] = (RENDER_SIZE, OUTPUT_FORMAT, QUALITY, VIBRANCE, HINTS)
OPTIONS_BY_NAME: dict[str, Option] = {option.name: option for option in COLORIZE_OPTIONS}


@dataclass(frozen=True)
class ColorizeOptions:
    """The parsed options of one colorize request or run."""

    render_size: int | None = None  # None: the model's
    format: str = OUTPUT_FORMAT.default
    quality: int = QUALITY.default
    vibrance: float = VIBRANCE.default
    hints: tuple[Hint, ...] = ()

    @property
    def output(self) -> OutputFormat:
        return OUTPUT_FORMATS[self.format]


def parse_values(options: Sequence[Option], value_of: Callable[[str], str | None]) -> dict[str, Any]:
    """{name: value} of each option `value_of(name)` gives (None/blank: left out); OptionError on the first bad one."""
    values: dict[str, Any] = {}
    for option in options:
        text = value_of(option.name)
        if text is not None and text.strip():
            values[option.name] = option.parse(text.strip())
    return values


def parse_options(value_of: Callable[[str], str | None]) -> ColorizeOptions:
    """Every colorize option from `value_of(name)` (its text, or None/blank for the default)."""
    return ColorizeOptions(**parse_values(COLORIZE_OPTIONS, value_of))
