"""The learned skill-span tagger (query.intake.spans), its features, decoding and the SkillSpan scores."""
import json
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from query.intake.span_eval import bio_spans, score_spans
from query.intake.span_features import FEATURES_VERSION, normalise, sentence_features, short_shape
from query.intake.spans import DEFAULT_DIR, KIND, LABELS, MANIFEST_FILE, MODEL_FILE, Span, SpanTagger, decode, sentences, tokenize
from records.errors import BackendUnavailableError, NotFoundError

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "skillspan" / "dev.json"
# Union overlap F1 of the shipped model on the first 300 dev sentences, measured 0.807; the margin
# leaves room for a retrained model, not for a broken one.
DEV300_OVERLAP_F1, MARGIN = 0.807, 0.05


@pytest.fixture(scope="module")
def tagger() -> SpanTagger:
    return SpanTagger.load()


def _m(o=0.0, bs=0.0, is_=0.0, bk=0.0, ik=0.0) -> dict[str, float]:
    return dict(zip(LABELS, (o, bs, is_, bk, ik)))


# ----------------------------------------------------------------------------- shipped model
def test_shipped_model_loads_with_its_manifest(tagger):
    assert tagger.model_file == DEFAULT_DIR / MODEL_FILE
    assert tagger.model_file.read_bytes()[:4] == b"lCRF"          # CRFsuite's own format, not a pickle
    assert tagger.model_file.stat().st_size < 5_000_000
    m = json.loads((DEFAULT_DIR / MANIFEST_FILE).read_text())
    assert m["kind"] == KIND and m["features_version"] == FEATURES_VERSION
    assert m["labels"] == list(LABELS)
    assert {"c1", "c2", "max_iterations", "o_scale"} <= set(m["params"])
    assert 0 < tagger.o_scale == m["params"]["o_scale"] <= 1
    assert len(m["training_data"]["sha256"]) == 64 and m["training_data"]["file"] == "train.json"
    assert m["training_data"]["sentences"] > 4000
    assert m["dev_metrics"]["union"]["overlap"]["f1"] >= 0.55
    assert {"exact", "overlap"} <= set(m["dev_metrics"]["skill"]) and "knowledge" in m["dev_metrics"]
    assert m["selection"]["rows"] and "SkillSpan" in m["attribution"] and "MIT" in m["license"]
    assert m["model_bytes"] == tagger.model_file.stat().st_size


def test_load_accepts_the_model_file_and_caches(tagger):
    assert SpanTagger.load(DEFAULT_DIR / MODEL_FILE).model_file == tagger.model_file
    assert SpanTagger.load() is tagger


def test_tags_tools_and_fields_in_a_hand_written_sentence(tagger):
    text = "You have strong Python and SQL skills, and experience in project management."
    found = {(s.text, s.kind) for s in tagger.tag(text)}
    assert ("Python", "knowledge") in found and ("SQL", "knowledge") in found
    assert ("project management", "knowledge") in found


def test_tags_soft_skills(tagger):
    spans = tagger.tag("Excellent communication skills and the ability to work in a team.")
    assert [(s.text, s.kind) for s in spans] == [("communication skills", "skill"), ("work in a team", "skill")]
    assert all(0.5 < s.confidence <= 1 for s in spans)


def test_offsets_map_back_to_the_text(tagger):
    text = ("We are hiring!  Senior engineer (m/f/d) with C++, C# and .NET;\n"
            "node.js and CI/CD experience, e.g. Jenkins.   Great communication skills?\n\nPython 3 too")
    toks = tokenize(text)
    spans = tagger.tag(text)
    assert spans
    for s in spans:
        assert text[s.char_start:s.char_end] == s.text
        assert s.char_start == toks[s.start][1] and s.char_end == toks[s.end - 1][2]
        assert s.kind in ("skill", "knowledge") and 0 <= s.confidence <= 1
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_tag_tokens_uses_token_offsets(tagger):
    tokens = ["Experience", "with", "Python", "and", "Docker", "."]
    spans = tagger.tag_tokens(tokens)
    assert [(s.start, s.end, s.text) for s in spans] == [(2, 3, "Python"), (4, 5, "Docker")]
    assert all(s.char_start is None and s.char_end is None for s in spans)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", ".", "!!! ;;;"])
def test_empty_and_punctuation_only_input(tagger, text):
    assert tagger.tag(text) == []


def test_empty_token_list(tagger):
    assert tagger.tag_tokens([]) == [] and tagger.marginals([]) == []


def test_very_long_input(tagger):
    sentence = "You know Python, Kubernetes and AWS and communicate clearly with stakeholders. "
    text = sentence * 2000                                   # 2,000 sentences, ~26,000 tokens
    run_on = "python docker and teamwork " * 2500               # one 10,000-token sentence
    t0 = time.perf_counter()
    spans = tagger.tag(text)
    long_spans = tagger.tag(run_on)
    assert time.perf_counter() - t0 < 30
    assert len([s for s in spans if s.text == "Python"]) == 2000
    assert long_spans and all(run_on[s.char_start:s.char_end] == s.text for s in long_spans)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcXYZ+#./- ,;!?\n()09é")), max_size=120))
def test_spans_are_ordered_slices_of_any_text(tagger, text):
    spans = tagger.tag(text)
    for s in spans:
        assert text[s.char_start:s.char_end] == s.text and s.start < s.end and 0 <= s.confidence <= 1
    assert all(a.end <= b.start and a.char_end <= b.char_start for a, b in zip(spans, spans[1:]))


# ----------------------------------------------------------------------------- text handling
def test_tokenize_keeps_tech_names_and_splits_punctuation():
    assert [t for t, _, _ in tokenize("C++, C#, .NET and node.js; CI/CD (problem-solving).")] == [
        "C++", ",", "C#", ",", ".NET", "and", "node.js", ";", "CI/CD", "(", "problem-solving", ")", "."]


def test_sentences_split_on_end_marks_and_newlines():
    groups = sentences("Python. Java! Go? Rust; Scala\nKotlin node.js")
    assert [[t for t, _, _ in g] for g in groups] == [
        ["Python", "."], ["Java", "!"], ["Go", "?"], ["Rust", ";"], ["Scala"], ["Kotlin", "node.js"]]


def test_features_one_list_per_token_and_normalised():
    feats = sentence_features(["Python,", "C++", "."])
    assert len(feats) == 3 and "w=python" in feats[0] and "first" in feats[0] and "last" in feats[2]
    assert "+1w=c++" in feats[0] and "-1w=python" in feats[1] and "punct" in feats[2]
    assert normalise("(Docker)") == "docker" and normalise(".") == "." and short_shape("Python3") == "Aa0"
    assert sentence_features([]) == []


# ----------------------------------------------------------------------------- decoding, as arithmetic
def test_decode_bio_and_kind_changes():
    marg = [_m(bk=0.9, o=0.1), _m(ik=0.8, o=0.2), _m(o=1.0), _m(is_=0.6, o=0.4), _m(ik=0.7, is_=0.3)]
    assert decode(marg) == [(0, 2, "knowledge", pytest.approx(0.85)), (3, 4, "skill", pytest.approx(0.6)),
                            (4, 5, "knowledge", pytest.approx(0.7))]


def test_decode_o_scale_trades_precision_for_recall():
    marg = [_m(o=0.7, bk=0.3), _m(o=0.9, ik=0.1)]
    assert decode(marg, 1.0) == []
    assert decode(marg, 0.4) == [(0, 1, "knowledge", pytest.approx(0.3))]          # 0.28 < 0.3; 0.36 > 0.1
    assert decode(marg, 0.1) == [(0, 2, "knowledge", pytest.approx(0.2))]


def test_decode_trims_edge_punctuation_and_function_words():
    marg = [_m(bk=1.0)] + [_m(ik=1.0)] * 4
    assert decode(marg, 1.0, ["and", "Python", "(", "3", ")"])[0][:2] == (1, 5)    # ")" closes "(" inside
    assert decode(marg, 1.0, ["C++", ",", "Java", "and", ")"])[0][:2] == (0, 3)
    assert decode(marg, 1.0, [",", "and", "or", ".", "the"]) == []


# ----------------------------------------------------------------------------- scores, as arithmetic
def test_bio_spans_and_scores():
    assert bio_spans(["I", "I", "O", "B", "B", "I"]) == [(0, 2), (3, 4), (4, 6)]
    m = score_spans([[(0, 2), (5, 6)], [(1, 3)]], [[(0, 2), (3, 4), (7, 8)], [(0, 2)]])
    assert m["exact"]["precision"] == pytest.approx(1 / 3, abs=1e-4) and m["exact"]["recall"] == 0.25
    assert m["overlap"]["precision"] == pytest.approx(2 / 3, abs=1e-4) and m["overlap"]["recall"] == 0.5
    assert score_spans([[]], [[]])["overlap"]["f1"] == 0.0


# ----------------------------------------------------------------------------- bad model directories
def test_missing_model_names_the_path(tmp_path):
    with pytest.raises(NotFoundError, match=str(tmp_path / "nope")):
        SpanTagger.load(tmp_path / "nope")


def test_model_for_other_features_is_refused_and_left_alone(tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "m")
    manifest = tmp_path / "m" / MANIFEST_FILE
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "features_version": "spans-features/0"}))
    before = manifest.read_bytes()
    with pytest.raises(BackendUnavailableError, match="spans-features/0"):
        SpanTagger.load(tmp_path / "m")
    assert manifest.read_bytes() == before and (tmp_path / "m" / MODEL_FILE).stat().st_size > 0


def test_corrupt_model_file_is_refused(tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "m")
    (tmp_path / "m" / MODEL_FILE).write_bytes(b"not a crfsuite model")
    with pytest.raises(BackendUnavailableError, match="cannot be opened"):
        SpanTagger.load(tmp_path / "m")


def test_unreadable_manifest_is_refused(tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "m")
    (tmp_path / "m" / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(BackendUnavailableError, match="unreadable manifest"):
        SpanTagger.load(tmp_path / "m")


# ----------------------------------------------------------------------------- SkillSpan dev (when present)
def test_overlap_f1_on_a_dev_slice(tagger):
    if not DEV.is_file():
        pytest.skip(f"SkillSpan dev file {DEV} is missing (benchmark-only data under ../shared/data/skillspan)")
    from query.intake.span_eval import read_skillspan, score_typed

    rows = read_skillspan(DEV)[:300]
    preds = [[(s.start, s.end, s.kind) for s in tagger.tag_tokens(list(r["tokens"]))] for r in rows]
    f1 = score_typed(rows, preds)["union"]["overlap"]["f1"]
    assert f1 >= DEV300_OVERLAP_F1 - MARGIN, f"union overlap F1 {f1:.3f} on 300 dev sentences"


def test_span_is_frozen():
    s = Span(0, 1, "knowledge", "Python", 0.9)
    with pytest.raises(AttributeError):
        s.start = 2  # type: ignore[misc]


def test_dev_slice_skips_naming_the_missing_file(monkeypatch, tagger, tmp_path):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "DEV", tmp_path / "dev.json")
    with pytest.raises(pytest.skip.Exception, match=r"dev\.json is missing"):
        test_overlap_f1_on_a_dev_slice(tagger)
