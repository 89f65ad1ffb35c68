"""Evaluate candidates against qualifications with evidence that quotes the profile (issue 19).

``model`` holds the records (verdicts, evidence, scores), ``profile`` the profile's text fields and
span search, ``offline`` the structured evaluator, ``freetext`` the sentence-similarity judge,
``llm`` the OpenAI-compatible evaluator, ``store`` the per-tenant evaluation store and ``service``
the entry point the API, CLI, MCP server and jobs call.
"""
