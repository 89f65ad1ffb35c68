"""The learned tagger as a recall source (query.intake.span_skills): which spans intake keeps."""
from __future__ import annotations

import pytest

from query.intake.span_skills import learned_skills
from query.intake.spans import Span, SpanTagger


class FakeTagger:
    """Tags the given substrings of a sentence with a kind and confidence."""

    def __init__(self, spans: list[tuple[str, str, float]]):
        self.spans = spans

    def tag(self, sentence: str) -> list[Span]:
        out = []
        for text, kind, conf in self.spans:
            i = sentence.index(text)
            out.append(Span(0, 0, kind, text, conf, i, i + len(text)))
        return out


@pytest.mark.parametrize("sentence, spans, kept", [
    ("Min two years within the consumer packaged goods industry.",
     [("consumer packaged goods industry", "knowledge", 0.83)], ["Consumer packaged goods industry"]),
    ("Working knowledge of construction procedures.", [("construction procedures", "knowledge", 0.79)], []),  # < 0.8
    ("Work in a team.", [("Work in a team", "skill", 0.99)], []),                      # skill spans: not searched
    ("Bachelor's degree in Computer Science.", [("Bachelor's degree", "knowledge", 0.99),
                                                 ("Computer Science", "knowledge", 0.95)], []),
    ("Strong front-end technologies.", [("front-end technologies", "knowledge", 0.91)], []),   # a category
    ("Plan the retreat.", [("retreat", "knowledge", 0.99)], []),                     # one lower-case word
    ("Certified CISSPExperience with audits.", [("CISSPExperience", "knowledge", 0.9)], []),   # glued items
    ("Experience with AutoCad software.", [("AutoCad software", "knowledge", 0.95)], []),   # the dictionary has it
])
def test_spans_kept_only_where_reliable(sentence, spans, kept):
    assert learned_skills(FakeTagger(spans), sentence, covered=["AutoCad"]) == kept


def test_the_shipped_tagger_reads_a_requirement_the_dictionary_lacks():
    tagger = SpanTagger.load()
    got = learned_skills(tagger, "Min two years experience within consumer packaged goods industry, preferably "
                                 "packaged food.")
    assert any("consumer packaged goods" in g.lower() for g in got)


def test_intake_uses_learned_spans_in_requirement_sections_only():
    from query.intake.requirements import Intake

    text = ("Sales Associate\nMiami, FL\nAbout us: we lead the consumer packaged goods industry.\nRequirements:\n"
            "Min two years experience within consumer packaged goods industry, preferably packaged food.")
    with_spans = Intake().from_text(text)
    assert any("consumer packaged goods" in s.lower() for s in with_spans.must_have)
    without = Intake(spans=False).from_text(text)
    assert not any("consumer packaged goods" in s.lower() for s in without.must_have + without.nice_to_have)


@pytest.mark.parametrize("words, kept", [
    ("Particularly Excel", "Excel"), ("Mainstream social media", "social media"), ("Outgoing personality", None),
    ("Approachable demeanor", None), ("Proven track record", None), ("Friendly", None),
    ("Test Driven Development", "Test Driven Development"), ("Design software", "Design software"),
])
def test_learned_spans_pass_the_cue_phrase_word_rules(words, kept):
    from query.intake.phrases import tidy
    got = tidy(words.split(), tails=False)
    assert (" ".join(got) if got else None) == kept
