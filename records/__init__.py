"""Shared records: the profile Arrow schema, hit records, errors, reference data (taxonomy, places)."""
