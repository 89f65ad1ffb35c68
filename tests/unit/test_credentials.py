"""Credentials no lexicon lists, read from a requirement sentence (query.intake.credentials)."""
from __future__ import annotations

import pytest

from query.intake.credentials import credential_phrases
from query.intake.location import us_states

STATES = frozenset(us_states())
OCCUPATIONS = {"Respiratory Care Practitioner", "Physical Therapist"}


def read(sentence: str) -> list[str]:
    return credential_phrases(sentence, is_occupation=lambda s: s in OCCUPATIONS, states=STATES)


@pytest.mark.parametrize("sentence, names", [
    ("Minimum 5 yrs. on the job with mechanical license.", ["Mechanical license"]),
    ("CA State Pharmacist License required", ["Pharmacist license"]),          # the state and "State" dropped
    ("ASE certification a plus", ["ASE certification"]),
    ("RCP - Licensed Respiratory Care Practitioner Current and valid", ["Respiratory Care Practitioner license"]),
    ("Customer service skillsASE certification", ["ASE certification"]),        # glued list items
    ("MACTE approved Montessori credential", ["Montessori credential"]),
])
def test_named_credentials_are_read(sentence, names):
    assert read(sentence) == names


@pytest.mark.parametrize("sentence", [
    "Current and valid Nebraska license",          # a state alone names no credential
    "Relevant certifications a plus",
    "Knowledge and/or certification in the field",
    "Two years post licensure",
    "Handle guest registration and check-in",      # work, not a credential
    "License/Other certification",
    "Licensed and insured contractor",
    "lead role.LICENSURE OR CERTIFICATION",
])
def test_categories_qualifiers_and_work_are_not_credentials(sentence):
    assert read(sentence) == []
