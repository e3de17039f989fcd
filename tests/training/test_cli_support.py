"""Help and --version of every command line: each default shown once, none for required options."""

import argparse
import re

import pytest

from colorizer_cli.colorize import build_parser as colorize_parser
from training.cli import build_parser as training_parser
from training.cli_support import HelpFormatter, add_version_argument, package_version


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every subcommand's parser under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


ALL_PARSERS = [*_parsers(colorize_parser()), *_parsers(training_parser())]


@pytest.mark.parametrize("parser", ALL_PARSERS, ids=[p.prog for p in ALL_PARSERS])
def test_every_option_states_its_default_at_most_once(parser):
    formatter = HelpFormatter(parser.prog)
    for action in parser._actions:
        text = formatter._get_help_string(action) or ""
        assert text.lower().count("default:") <= 1, (action.option_strings, text)
        assert "(default: None)" not in text
        if action.required:
            assert "(default:" not in text, action.option_strings
    flat = " ".join(parser.format_help().split())
    assert "(default: None)" not in flat and not re.search(r"\(default: [^)]*\) \(default:", flat)


def test_the_formatter_appends_a_default_only_where_it_informs():
    parser = argparse.ArgumentParser(prog="demo", formatter_class=HelpFormatter)
    parser.add_argument("--size", type=int, default=3, help="how big")
    parser.add_argument("--model", default=None, help="which model (default: the shipped one)")
    parser.add_argument("--out", required=True, help="where")
    parser.add_argument("--fast", action="store_true", help="hurry")
    flat = " ".join(parser.format_help().split())
    assert "how big (default: 3)" in flat
    assert "which model (default: the shipped one)" in flat and flat.count("(default:") == 2
    assert "where" in flat and "hurry" in flat


@pytest.mark.parametrize("build", [colorize_parser, training_parser])
def test_version_prints_the_project_version(build, capsys):
    with pytest.raises(SystemExit) as exit_status:
        build().parse_args(["--version"])
    assert exit_status.value.code == 0
    assert package_version() in capsys.readouterr().out


def test_version_names_the_program(capsys):
    parser = argparse.ArgumentParser(prog="demo")
    add_version_argument(parser, "demo")
    with pytest.raises(SystemExit):
        parser.parse_args(["-V"])
    assert capsys.readouterr().out.startswith("demo (lab-colorizer) ")
