"""One Settings object, built by the CLI or ``create_app()`` and passed down."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.build import IndexConfig
from indexer.encoder import EncoderConfig
from indexer.vectors import VectorIndexConfig


class Settings(BaseSettings):
    """Read from ``TALENTSEARCH_*`` environment variables (e.g. ``TALENTSEARCH_INDEX_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="TALENTSEARCH_", extra="ignore")

    index_dir: Path = Path("var/index")
    encoder_backend: str = Field("auto", pattern="^(auto|onnx|torch)$")
    encoder_cache_dir: Path | None = None
    encoder_threads: int | None = None
    vector_kind: str = Field("auto", pattern="^(auto|flat|hnsw)$")
    hnsw_threshold: int = 200_000
    use_gpu: str = Field("auto", pattern="^(auto|never|always)$")
    as_of: dt.date | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    def encoder_config(self) -> EncoderConfig:
        return EncoderConfig(backend=self.encoder_backend,
                             cache_dir=str(self.encoder_cache_dir) if self.encoder_cache_dir else None,
                             threads=self.encoder_threads)

    def vector_config(self) -> VectorIndexConfig:
        return VectorIndexConfig(kind=self.vector_kind, hnsw_threshold=self.hnsw_threshold, use_gpu=self.use_gpu)

    def index_config(self) -> IndexConfig:
        return IndexConfig(as_of=self.as_of, encoder=self.encoder_config(), vectors=self.vector_config())
