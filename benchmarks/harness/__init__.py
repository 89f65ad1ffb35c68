"""Relevance harness: suites (corpus + queries + judgments), named conditions (pipeline
configurations), a runner that scores every condition with ranx, and reports (JSON, CSV,
Markdown, PNG) with expected-metric checks.

    talentsearch bench relevance --suite scifact --conditions lexical,dense,hybrid-rrf

A new condition is one entry in ``conditions.CONDITIONS``; a new suite is one entry in
``suites.SUITES`` or a directory passed as ``--suite PATH``.
"""
