"""Versioned Jinja prompt templates kept as files under ``query/prompts/``.

A prompt version is a file-name stem: ``plan_v1`` is ``plan_v1.system.j2`` + ``plan_v1.user.j2``
(+ ``plan_v1.repair.j2`` for the retry after a malformed answer). Editing a prompt means adding
``plan_v2.*``; every response records the version it used.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from records.errors import NotFoundError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
DEFAULT_PROMPT = "plan_v1"


@dataclass(frozen=True)
class Prompt:
    version: str                # e.g. "plan_v1"

    def render(self, part: str, **values) -> str:
        return _env().get_template(f"{self.version}.{part}.j2").render(**values).strip()


def load_prompt(version: str = DEFAULT_PROMPT) -> Prompt:
    missing = [p for p in ("system", "user", "repair") if not (PROMPT_DIR / f"{version}.{p}.j2").is_file()]
    if missing:
        raise NotFoundError(f"prompt {version!r}: missing {', '.join(f'{version}.{p}.j2' for p in missing)} in {PROMPT_DIR}")
    return Prompt(version)


def available_prompts() -> list[str]:
    return sorted({p.name.split(".")[0] for p in PROMPT_DIR.glob("*.system.j2")})


@functools.lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(PROMPT_DIR)), undefined=jinja2.StrictUndefined,
                              autoescape=False, keep_trailing_newline=False)


__all__ = ["Prompt", "load_prompt", "available_prompts", "PROMPT_DIR", "DEFAULT_PROMPT"]
