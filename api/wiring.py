"""The one place the engine is assembled from ``Settings``.

The CLI, the HTTP app, the MCP server, the bulk jobs and the benchmarks all call ``build_engine``, so
a tenant's learning-to-rank model serves the same way whichever door a request comes through.
``ltr=False`` is the relevance baseline without tenant models (the benchmarks' hybrid order).
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Callable

from api.settings import Settings
from indexer.encoder import open_encoder
from indexer.reader import IndexReader
from ranking.fairness.attributes import AttributeStore
from ranking.fairness.stage import FairnessStage
from ranking.ltr.events import EventStores
from ranking.ltr.features import FeatureSet, graph_loader
from ranking.ltr.serve import LtrSettings, LtrStage
from ranking.search.pipeline import SearchEngine
from ranking.ltr.registry import ModelRegistry
from ranking.evaluate.llm import LLMEvaluator
from query.llm.openai import LLMConfig


def build_reader(settings: Settings) -> IndexReader:
    """The index reader: embedded index or OpenSearch, with the configured vector index."""
    return IndexReader(settings.index_dir, vectors=settings.vector_config(), opensearch=settings.opensearch_config(),
                       common_terms=settings.common_terms_config(), hydrate_rows=settings.hydrate_rows)


def build_encoder(settings: Settings):
    """The query encoder: MiniLM, or its static distillation (``TALENTSEARCH_ENCODER_BACKEND=static``)."""
    return open_encoder(settings.encoder_config())


def build_ltr_stage(settings: Settings) -> LtrStage:
    """The featurize + re-rank stage: per-tenant models from ``ltr_dir``, served features logged there."""
    return LtrStage(ModelRegistry(settings.ltr_dir), EventStores(settings.ltr_dir),
                    FeatureSet(graph_loader=graph_loader(settings.index_dir)),
                    LtrSettings(budget=settings.ltr_rerank_k, log_features=settings.ltr_log_features,
                                explore=settings.ltr_explore))


def build_engine(settings: Settings, *, encoder=None, dense: bool = True, ltr: bool = True,
                 today: Callable[[], dt.date] | None = None) -> SearchEngine:
    """The search engine over ``settings.index_dir``: reader, query encoder and (``ltr=True``) the tenant's
    learning-to-rank stage. ``encoder`` reuses one already loaded; ``dense=False`` leaves the encoder out
    (lexical counts only: no model is loaded); ``today`` pins the reference date."""
    if dense and encoder is None:
        encoder = build_encoder(settings)
    engine = SearchEngine(build_reader(settings), encoder if dense else None, today=today or dt.date.today,
                          ltr=build_ltr_stage(settings) if ltr else None,
                          fairness=FairnessStage(AttributeStore(settings.fairness_dir)),
                          parallel=settings.search_parallel)
    return use_llm_evaluator(settings, engine)


def use_llm_evaluator(settings: Settings, engine: SearchEngine) -> SearchEngine:
    """With ``evaluate_with_llm`` and an LLM endpoint set, candidates are evaluated by the model (ranking/evaluate/llm.py),
    the offline evaluator answering where it cannot; otherwise the engine's offline evaluator serves."""
    if settings.evaluate_with_llm and settings.llm_base_url and settings.llm_model:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        engine.evaluator = LLMEvaluator(LLMConfig(base_url=settings.llm_base_url, model=settings.llm_model, api_key=key,
                                                  timeout_s=settings.llm_timeout_s, retries=settings.llm_retries,
                                                  response_format=settings.llm_response_format), engine.evaluator)
    return engine


def worker_settings(settings: Settings, *, threads: int) -> Settings:
    """``settings`` for an engine built in another process (a Ray actor): directories made absolute (a
    worker's working directory is not the caller's) and the encoder held to ``threads`` CPU threads,
    unless ``encoder_threads`` was set."""
    update = {name: getattr(settings, name).resolve() for name in
              ("index_dir", "ltr_dir", "jobs_dir", "fairness_dir", "encoder_model_dir", "encoder_cache_dir", "api_keys_file")
              if getattr(settings, name) is not None}
    if settings.encoder_threads is None:
        update["encoder_threads"] = threads
    return settings.model_copy(update=update)


def engine_factory(settings: Settings, *, threads: int) -> Callable[[], SearchEngine]:
    """A picklable ``build_engine`` of ``worker_settings``: what each Ray actor calls once."""
    return functools.partial(build_engine, worker_settings(settings, threads=threads))
