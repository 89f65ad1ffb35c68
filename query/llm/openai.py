"""An OpenAI-compatible chat-completions planner (vLLM, Ollama, llama.cpp server, hosted models).

``POST {base_url}/chat/completions`` with the rendered prompt, ``temperature`` 0 and a JSON
response format (``json_schema`` with the answer schema, or ``json_object`` for servers that
only know that). Transport: a timeout per request; 429 and 5xx answers, timeouts and refused
connections are retried ``retries`` times with exponential backoff (``Retry-After`` honoured up to
``max_backoff_s``), then ``ProviderUnavailableError``. Content: a malformed answer is sent back
once with the error (the repair prompt); a second malformed answer raises ``PlannerOutputError``.
The generator turns either error into a fallback to the offline planner.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from query.llm.base import PlanAnswer, PlanContext, PlannerOutputError, ProviderUnavailableError
from query.llm.prompts import DEFAULT_PROMPT, load_prompt
from query.llm.schema import json_schema, parse_answer
from records.schema import SENIORITY_LEVELS

PROVIDER = "openai-compatible"


@dataclass(frozen=True)
class LLMConfig:
    base_url: str                       # e.g. http://localhost:8001/v1
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    retries: int = 2                    # extra attempts after a transport failure
    backoff_s: float = 0.5              # first wait; doubles each retry
    max_backoff_s: float = 8.0
    response_format: str = "json_schema"   # or "json_object"
    prompt_version: str = DEFAULT_PROMPT
    temperature: float = 0.0
    max_tokens: int = 1200


class OpenAIChatPlanner:
    """``QueryPlanner`` over an OpenAI-compatible endpoint; one ``httpx.Client`` per planner."""

    name = PROVIDER

    def __init__(self, config: LLMConfig, *, transport: httpx.BaseTransport | None = None, sleep=time.sleep):
        if not config.base_url or not config.model:
            raise ValueError("LLMConfig needs base_url and model")
        self.config = config
        self.prompt = load_prompt(config.prompt_version)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.Client(base_url=config.base_url.rstrip("/"), headers=headers,
                                    timeout=httpx.Timeout(config.timeout_s), transport=transport)
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def plan(self, requirements, context: PlanContext = PlanContext()) -> PlanAnswer:
        messages = [{"role": "system", "content": self.prompt.render(
                        "system", seniority_levels=SENIORITY_LEVELS, min_strategies=2, max_strategies=4)},
                    {"role": "user", "content": self.prompt.render(
                        "user", requirements={k: v for k, v in requirements.to_dict().items() if k != "notes"},
                        related_titles=list(context.related_titles)[:8], related_skills=list(context.related_skills)[:8],
                        history=[h.to_dict() for h in context.history])}]
        content = self._chat(messages)
        try:
            strategies = parse_answer(content)
            return PlanAnswer(strategies, PROVIDER, self.config.model, self.prompt.version, 1)
        except PlannerOutputError as first:
            messages += [{"role": "assistant", "content": content or ""},
                         {"role": "user", "content": self.prompt.render("repair", error=str(first))}]
            content = self._chat(messages)
            try:
                strategies = parse_answer(content)
            except PlannerOutputError as second:
                raise PlannerOutputError(f"malformed answer twice: first {first}; then {second}") from None
            return PlanAnswer(strategies, PROVIDER, self.config.model, self.prompt.version, 2,
                              (f"first answer rejected: {first}",))

    def _chat(self, messages: list[dict]) -> str:
        return self.chat(messages, schema=json_schema(), schema_name="query_plan")

    def chat(self, messages: list[dict], *, schema: dict, schema_name: str) -> str:
        """One chat completion answered in JSON (``schema`` when the server takes json_schema), with the
        transport retries; the answer's content. Other tasks (candidate evaluation) call this too."""
        cfg = self.config
        body = {"model": cfg.model, "messages": messages, "temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
        if cfg.response_format == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": schema_name, "schema": schema, "strict": False}}
        else:
            body["response_format"] = {"type": "json_object"}
        last = "no attempt"
        for attempt in range(cfg.retries + 1):
            wait = min(cfg.backoff_s * (2 ** attempt), cfg.max_backoff_s)
            try:
                resp = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                last = f"timed out after {cfg.timeout_s:g} s"
            except httpx.TransportError as exc:
                last = f"cannot connect: {exc}"
            else:
                if resp.status_code == 200:
                    return _content(resp)
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code != 429 and resp.status_code < 500:
                    raise ProviderUnavailableError(f"LLM endpoint {cfg.base_url} refused the request: {last}")
                wait = min(_retry_after(resp) or wait, cfg.max_backoff_s)
            if attempt < cfg.retries:
                self._sleep(wait)
        raise ProviderUnavailableError(f"LLM endpoint {cfg.base_url} failed {cfg.retries + 1} time(s); last: {last}")


def _content(resp: httpx.Response) -> str:
    """The first choice's message content; a body that is not chat-completions JSON counts as malformed output."""
    try:
        data = resp.json()
        return data["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        return resp.text


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(0.0, float(resp.headers.get("retry-after", "")))
    except ValueError:
        return None


__all__ = ["LLMConfig", "OpenAIChatPlanner", "PROVIDER"]
