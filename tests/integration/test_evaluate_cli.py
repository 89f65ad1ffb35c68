"""``talentsearch evaluate`` as the README shows it, run for real over the 12-profile index."""
import json

from api.cli import main


def test_cli_evaluates_stores_and_reports_bad_input(small_index, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TALENTSEARCH_ENCODER_BACKEND", "static")     # no dense search here: no model to load
    quals = tmp_path / "quals.json"
    quals.write_text(json.dumps([{"kind": "skill", "text": "spark"}, {"kind": "years", "min_years": 5},
                                 {"kind": "location", "text": "Berlin", "radius_km": 50}]))
    store = tmp_path / "evaluations"
    args = ["evaluate", "--index-dir", str(small_index), "--qualifications", str(quals), "--evaluations-dir", str(store),
            "--candidates", "de-001,pv-002,ghost", "--tenant", "acme-talent"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert '1  de-001  score 1.00  musts 3/3' in out and '"Apache Spark" (skills[0])' in out
    assert "pv-002: not_found" in out and "ghost: not_found" in out
    assert len(list((store / "acme-talent").glob("*.json"))) == 1
    assert main(args + ["--json", "--no-store"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["candidates"][0]["judgements"][0]["evidence"][0]["text"] == "Apache Spark"
    assert len(list((store / "acme-talent").glob("*.json"))) == 1
    quals.write_text(json.dumps([{"kind": "vibes", "text": "good"}]))
    assert main(args) == 2
    assert "qualifications[0].kind: unknown kind 'vibes'" in capsys.readouterr().err
