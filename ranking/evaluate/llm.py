"""The LLM evaluator: an OpenAI-compatible chat endpoint judges each candidate, its evidence checked.

Versioned prompt (``query/prompts/evaluate_v1.*.j2``) and a JSON schema; one request per candidate.
Every quote the model returns must be found verbatim in the profile field it names
(``profile.locate``); a judgement with any quote that is not there is downgraded to ``no_evidence``,
so no unverified evidence reaches a user. A malformed answer is sent back once with the error; a
second one, or an unavailable endpoint, falls back to the offline evaluator for that candidate.
"""
from __future__ import annotations

import json

from query.llm.base import ProviderUnavailableError
from query.llm.openai import LLMConfig, OpenAIChatPlanner
from query.llm.prompts import load_prompt
from ranking.evaluate import profile as pf
from ranking.evaluate.model import VERDICTS, Judgement

DEFAULT_PROMPT = "evaluate_v1"
SCHEMA = {"type": "object", "required": ["judgements"], "properties": {"judgements": {"type": "array", "items": {
    "type": "object", "required": ["qualification_id", "verdict", "evidence"],
    "properties": {"qualification_id": {"type": "string"}, "verdict": {"enum": list(VERDICTS)},
                   "confidence": {"type": "number"}, "reason": {"type": "string"},
                   "evidence": {"type": "array", "items": {"type": "object", "required": ["field", "quote"],
                                "properties": {"field": {"type": "string"}, "quote": {"type": "string"}}}}}}}}}


class AnswerError(ValueError):
    pass


class LLMEvaluator:
    """``evaluate(profiles, quals)`` like ``OfflineEvaluator``; ``fallback`` judges when the model cannot."""

    def __init__(self, config: LLMConfig, fallback, *, prompt_version: str = DEFAULT_PROMPT, transport=None):
        self.client = OpenAIChatPlanner(config, transport=transport)
        self.prompt = load_prompt(prompt_version)
        self.fallback = fallback
        self.name = f"llm:{config.model}:{prompt_version}"

    def evaluate(self, profiles: list[dict], quals, *, notes: list | None = None) -> list[list[Judgement]]:
        """``notes`` (a list) receives a line per candidate the offline evaluator judged instead."""
        return [self._one(p, quals, notes) for p in profiles]

    def _one(self, p: dict, quals, notes: list | None) -> list[Judgement]:
        fields = [(path, pf.value_of(p, path)) for path in pf.text_fields(p, skills=True)]
        fields += [(f"education[{i}].{k}", e.get(k)) for i, e in enumerate(p.get("education") or ())
                   for k in ("degree", "field", "school") if e.get(k)]
        loc = p.get("location") or {}
        fields += [(f"location.{k}", loc[k]) for k in ("city", "country") if loc.get(k)]
        dated = [f"positions[{i}] dates: {pos.get('start')} to {pos.get('end') or 'now'}"
                 for i, pos in enumerate(p.get("positions") or ())]
        messages = [{"role": "system", "content": self.prompt.render("system")},
                    {"role": "user", "content": self.prompt.render(
                        "user", qualifications=[{**q.to_dict(), "label": q.label} for q in quals],
                        fields=fields, dated=dated, today=str(getattr(self.fallback, "today", "")))}]
        try:
            content = self.client.chat(messages, schema=SCHEMA, schema_name="candidate_evaluation")
            try:
                return self._parse(p, quals, content)
            except AnswerError as first:
                messages += [{"role": "assistant", "content": content or ""},
                             {"role": "user", "content": self.prompt.render("repair", error=str(first))}]
                return self._parse(p, quals, self.client.chat(messages, schema=SCHEMA, schema_name="candidate_evaluation"))
        except (AnswerError, ProviderUnavailableError) as exc:
            if notes is not None:
                notes.append(f"{p.get('candidate_id')}: offline evaluator used ({exc})")
            return self.fallback.evaluate([p], quals)[0]

    def _parse(self, p: dict, quals, content: str) -> list[Judgement]:
        try:
            data = json.loads(content)
            items = {j["qualification_id"]: j for j in data["judgements"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise AnswerError(f"not the JSON shape asked for: {exc}") from None
        out = []
        for q in quals:
            j = items.get(q.id)
            if not isinstance(j, dict) or j.get("verdict") not in VERDICTS:
                raise AnswerError(f"no valid judgement for qualification {q.id!r}")
            quotes = j.get("evidence") or []
            found = [pf.locate(p, str(e.get("field", "")), str(e.get("quote", ""))) if isinstance(e, dict) else None
                     for e in quotes]
            conf = j.get("confidence")
            conf = float(conf) if isinstance(conf, (int, float)) and 0 <= conf <= 1 else 0.5
            if any(e is None for e in found) or (not found and j["verdict"] in ("meets", "partly")):
                out.append(Judgement(q.id, "no_evidence", 0.0, (),
                                     "the model's evidence was not found in the profile, so its verdict "
                                     f"({j['verdict']}) was downgraded"))
            else:
                out.append(Judgement(q.id, j["verdict"], conf, tuple(found), str(j.get("reason", ""))[:300]))
        return out


__all__ = ["DEFAULT_PROMPT", "SCHEMA", "LLMEvaluator"]
