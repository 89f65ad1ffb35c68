"""The README stays true: every command it shows is read by the program it names, as written.

Running them all would take hours (a 100k-profile benchmark is one of them), so each command is
parsed by its own argument parser (a wrong sub-command, flag or value is the same exit 2 a reader
would meet) and stopped there; ``make`` targets must exist in the Makefile; ``python -m`` modules
must exist and accept their arguments; ``curl`` paths must be routes of the API. The commands a user
runs first (generate, index, search, delete, the syntax error) run for real in
tests/integration/test_api_cli.py and tests/unit/test_ingest_robustness.py.
"""
from __future__ import annotations

import argparse
import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_FENCED = re.compile(r"```[a-z]*\n(.*?)```", re.S)
_START = re.compile(r"^(?:\$ )?((?:[A-Z_]+=\S+\s+)*)(talentsearch|make|python|\.venv/bin/python|curl)\b(.*)$")


def fenced_commands() -> list[str]:
    out = []
    for block in _FENCED.findall(README):
        for line in block.replace("\\\n", " ").splitlines():
            m = _START.match(line.strip())
            if m:
                out.append((m.group(2) + m.group(3)).strip())
    return out


def inline_commands() -> list[str]:
    return sorted(set(re.findall(r"`((?:talentsearch|make|python -m|\.venv/bin/python -m) [^`]+)`", README)))


def _argv(command: str) -> list[str]:
    command = re.sub(r"\s\[[^\]]*\]", "", command)          # "[--engagement 0.05]": an optional flag
    return shlex.split(command, comments=True)


class _Parsed(Exception):
    pass


def _parse_only(monkeypatch, run) -> None:
    """Run ``run`` until its argument parser has read the command line; argparse errors exit 2."""
    original = argparse.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)
    with pytest.raises(_Parsed):
        run()


def _targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))


COMMANDS = fenced_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 30 and any(c.startswith("make demo") for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_reads_as_written(command, monkeypatch, tmp_path):
    argv = _argv(command)
    tool = argv[0]
    if tool == "make":
        assert set(argv[1:]) <= _targets(), f"{command}: no such make target"
    elif tool == "talentsearch":
        from api.cli import main

        _parse_only(monkeypatch, lambda: main(argv[1:]))
    elif tool in ("python", ".venv/bin/python"):
        assert argv[1] == "-m", command
        module = argv[2]
        if module == "pytest":
            return
        monkeypatch.setattr(sys, "argv", [module, *argv[3:]])
        _parse_only(monkeypatch, lambda: runpy.run_module(module, run_name="__main__"))
    elif tool == "curl":
        from api.app import create_app
        from api.settings import Settings

        url = next(a for a in argv[1:] if "/v1/" in a)
        path = re.sub(r"^\w+://[^/]+|^[^/]*", "", url).split("?")[0]
        app = create_app(Settings(index_dir=tmp_path / "index", ltr_dir=tmp_path / "ltr", jobs_dir=tmp_path / "jobs"))
        # a path with its ids filled in ("/v1/searches/SEARCH_ID/matches") matches the route's template
        routes = [re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) for p in app.openapi()["paths"]]
        assert any(re.fullmatch(r, path) for r in routes), f"{command}: {path} is not a route"


@pytest.mark.parametrize("command", inline_commands())
def test_commands_named_in_the_prose_exist(command):
    argv = _argv(command)
    if argv[0] == "make":
        assert argv[1] in _targets(), command
    elif argv[0] == "talentsearch":
        from api.cli import _parser

        sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
        assert argv[1] in sub.choices, f"{command}: no sub-command {argv[1]!r}"
    else:
        import importlib.util

        module = argv[argv.index("-m") + 1]
        assert importlib.util.find_spec(module) is not None, f"{command}: no module {module}"
