"""Evaluations at rest, per tenant: one JSON document per evaluation.

    <evaluations_dir>/<tenant_id or _public>/<evaluation_id>.json

A tenant sees only its own directory; another tenant's evaluation id is simply not there (404).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ranking.ltr.events import check_tenant
from records import durable
from records.errors import NotFoundError

PUBLIC = "_public"
SCHEMA = "talentsearch-evaluation/1"
_ID = re.compile(r"^[0-9a-f]{32}$")


class EvaluationStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _dir(self, tenant_id: str | None) -> Path:
        return self.root / (PUBLIC if tenant_id is None else check_tenant(tenant_id))

    def save(self, evaluation) -> Path:
        data = {"schema": SCHEMA, **evaluation.to_dict()}
        path = self._dir(evaluation.tenant_id) / f"{evaluation.evaluation_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        durable.write_json(path, data)
        return path

    def get(self, tenant_id: str | None, evaluation_id: str) -> dict:
        path = self._dir(tenant_id) / f"{evaluation_id}.json"
        if not _ID.match(evaluation_id or "") or not path.is_file():
            raise NotFoundError(f"evaluation {evaluation_id!r} not found")
        return json.loads(path.read_text())

    def list(self, tenant_id: str | None, *, limit: int = 50) -> list[dict]:
        """Newest first: id, created, evaluator, counts and the qualification labels (not the judgements)."""
        d = self._dir(tenant_id)
        files = sorted(d.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True) if d.is_dir() else []
        out = []
        for path in files[:limit]:
            data = json.loads(path.read_text())
            out.append({"evaluation_id": data["evaluation_id"], "created": data["created"],
                        "evaluator": data["evaluator"], "candidates": len(data["candidates"]),
                        "qualifications": [q["label"] for q in data["qualifications"]]})
        return out


__all__ = ["SCHEMA", "EvaluationStore"]
