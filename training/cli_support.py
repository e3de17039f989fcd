"""What every command line of the project shares: help that shows each default once, and --version.

Used by `python -m training`, `colorizer colorize` and the `colorizer` command. Torch-free. It lives
here, below colorizer_cli, because training's own command line needs it too (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

DISTRIBUTION = "lab-colorizer"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def package_version() -> str:
    """The installed distribution's version, or pyproject.toml's in a source checkout."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        import tomllib

        with open(_REPO_ROOT / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Appends "(default: X)" to an option's help once, and only where it informs.

    Not where the help already says its default in words ("default: the model's"), not
    for required options and positionals, and not for a default of None, False or ""
    (the help says what happens without the option). Descriptions keep their line
    breaks; each line is wrapped to the terminal.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent) if line.strip() else ""
            for line in text.splitlines()
        )

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            "default" in text.lower()
            or action.required
            or not action.option_strings
            or action.default is None
            or action.default is False
            or action.default == ""
            or action.default is argparse.SUPPRESS
        ):
            return action.help
        return super()._get_help_string(action)


def add_version_argument(parser: argparse.ArgumentParser, program: str) -> None:
    """-V/--version: the program and the project's version."""
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"{program} ({DISTRIBUTION}) {package_version()}",
        help="print the version and exit",
    )
