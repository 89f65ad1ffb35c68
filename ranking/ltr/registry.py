"""Model registry: one directory of versions per tenant, plus a global cold-start model.

    <ltr_dir>/tenants/<tenant_id>/models/v000001/{model.txt, manifest.json}
    <ltr_dir>/tenants/<tenant_id>/models/CURRENT        # the promoted version's name
    <ltr_dir>/tenants/<tenant_id>/models/history.jsonl  # promotions and rollbacks, in order
    <ltr_dir>/global/models/...                          # same layout; used when a tenant has no model

``model.txt`` is LightGBM's text format (never pickle). ``manifest.json`` holds the kind, the
ordered feature names and their fingerprint, the training window, the metrics, the parameters and
whether the promotion gate passed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ranking.ltr.events import check_tenant, tenant_dir
from records import durable
from records.errors import NotFoundError, ValidationError

GLOBAL = "__global__"
MANIFEST_KIND = "talentsearch-ltr-lightgbm"


@dataclass(frozen=True)
class ModelVersion:
    scope: str          # tenant id or GLOBAL
    version: str        # v000001
    path: Path          # directory holding model.txt and manifest.json
    manifest: dict


class ModelRegistry:
    def __init__(self, ltr_dir: str | Path):
        self.ltr_dir = Path(ltr_dir)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[int, int], ModelVersion]] = {}   # manifest path -> (mtime, size), version

    def models_dir(self, scope: str) -> Path:
        if scope == GLOBAL:
            return self.ltr_dir / "global" / "models"
        return tenant_dir(self.ltr_dir, check_tenant(scope)) / "models"

    def scopes(self) -> list[str]:
        """Every scope with a CURRENT pointer: tenants with a model, and GLOBAL."""
        out = [GLOBAL] if (self.models_dir(GLOBAL) / "CURRENT").exists() else []
        return out + sorted(p.parent.parent.name for p in (self.ltr_dir / "tenants").glob("*/models/CURRENT"))

    def versions(self, scope: str) -> list[ModelVersion]:
        root = self.models_dir(scope)
        if not root.exists():
            return []
        return [self._read(scope, p) for p in sorted(root.glob("v[0-9]*")) if (p / "manifest.json").exists()]

    def get(self, scope: str, version: str) -> ModelVersion:
        path = self.models_dir(scope) / version
        if not (path / "manifest.json").exists():
            raise NotFoundError(f"model {version!r} not found for {scope!r}")
        return self._read(scope, path)

    def current(self, scope: str) -> ModelVersion | None:
        pointer = self.models_dir(scope) / "CURRENT"
        try:
            name = pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return self.get(scope, name) if name else None

    def resolve(self, tenant_id: str | None) -> ModelVersion | None:
        """The model that serves ``tenant_id``: its own promoted model, else the global one, else None."""
        own = self.current(tenant_id) if tenant_id else None
        return own or self.current(GLOBAL)

    def add(self, scope: str, model_text: str, manifest: dict) -> ModelVersion:
        """Write a new version (not promoted yet)."""
        root = self.models_dir(scope)
        root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            numbers = [int(p.name[1:]) for p in root.glob("v[0-9]*") if p.name[1:].isdigit()]
            version = f"v{(max(numbers) + 1 if numbers else 1):06d}"
            tmp = root / f".{version}.tmp-{os.getpid()}"
            tmp.mkdir()
            (tmp / "model.txt").write_text(model_text)
            full = {"kind": MANIFEST_KIND, "schema_version": 1, "scope": scope, "version": version,
                    "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **manifest}
            (tmp / "manifest.json").write_text(json.dumps(full, indent=2, sort_keys=True))
            durable.fsync_tree(tmp)
            tmp.rename(root / version)
            durable.fsync_dir(root)
        return self.get(scope, version)

    def promote(self, scope: str, version: str, *, reason: str) -> ModelVersion:
        mv = self.get(scope, version)
        self._point(scope, version, {"action": "promote", "version": version, "reason": reason})
        return mv

    def rollback(self, scope: str) -> ModelVersion | None:
        """Point CURRENT back at the version promoted before the current one (None = hybrid order)."""
        history = self.history(scope)
        current = self.current(scope)
        if current is None:
            raise NotFoundError(f"{scope!r} has no promoted model to roll back")
        promoted = [h["version"] for h in history if h["action"] == "promote"]
        earlier = [v for v in promoted[: _last_index(promoted, current.version)] if v != current.version]
        target = earlier[-1] if earlier else None
        self._point(scope, target or "", {"action": "rollback", "version": target, "from": current.version})
        return self.get(scope, target) if target else None

    def history(self, scope: str) -> list[dict]:
        path = self.models_dir(scope) / "history.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def _point(self, scope: str, version: str, entry: dict) -> None:
        root = self.models_dir(scope)
        root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            durable.write_text(root / "CURRENT", version)
            entry = {**entry, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            durable.append_line(root / "history.jsonl", json.dumps(entry))

    def _read(self, scope: str, path: Path) -> ModelVersion:
        """A version's manifest, parsed once per file state: versions are written whole (renamed into place)
        and never edited, so a search resolves its model with a stat instead of a JSON parse."""
        file = path / "manifest.json"
        try:
            st = file.stat()
            key, state = str(file), (st.st_mtime_ns, st.st_size)
            hit = self._cache.get(key)
            if hit is not None and hit[0] == state and hit[1].scope == scope:
                return hit[1]
            manifest = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ValidationError(f"{file}: unreadable manifest: {exc}") from exc
        if manifest.get("kind") != MANIFEST_KIND:
            raise ValidationError(f"{file}: kind {manifest.get('kind')!r} is not {MANIFEST_KIND!r}")
        mv = ModelVersion(scope, path.name, path, manifest)
        with self._lock:
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[key] = (state, mv)
        return mv


def _last_index(items: list[str], value: str) -> int:
    for i in range(len(items) - 1, -1, -1):
        if items[i] == value:
            return i
    return len(items)
