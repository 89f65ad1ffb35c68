"""Edges: settings, the FastAPI app, the command-line program. Only this package maps errors to HTTP."""
