"""Identifier patterns every layer checks the same way: ingest (``owner_tenant``), events, the API."""
from __future__ import annotations

import re

# a tenant id names a directory (models, events) and an index partition: no separators, no dots first
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")     # use with fullmatch (never $: "acme\n")
