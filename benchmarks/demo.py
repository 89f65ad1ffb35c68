"""``talentsearch demo``: the main job on the embedded default, end to end on one machine."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

EXAMPLES = [
    {"query": 'title:"data engineer" AND (spark OR airflow) NOT company:acme', "filters": {"near": "Berlin", "radius_km": 50}},
    {"query": "senior python developer with kubernetes experience", "filters": {"min_years": 5}},
    {"query": 'title:(nurse OR "registered nurse") AND location:london', "filters": {"open_to_work": True}},
    {"query": "", "filters": {"near": "New York", "radius_km": 30, "open_to_work": True}},
    {"query": "title:(data AND", "filters": {}},
]


def run_demo(args) -> int:
    import httpx
    import uvicorn

    from api.app import create_app
    from api.settings import Settings
    from benchmarks.synth import generate
    from indexer.build import ingest

    work = Path(args.workdir)
    corpus, index_dir = work / "corpus", work / "index"
    if not (corpus / "profiles.parquet").exists():
        print(f"== generating {args.profiles} profiles into {corpus}")
        generate(corpus, profiles=args.profiles, seed=args.seed)
    settings = Settings(index_dir=index_dir)
    print(f"== indexing {corpus / 'profiles.parquet'} into {index_dir}")
    report = ingest([corpus / "profiles.parquet"], index_dir, settings.index_config())
    print(f"   {report.version}: {report.total} profiles ({report.added} added, {report.unchanged} unchanged, "
          f"{report.rejected} rejected)")

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=args.host, port=args.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{args.host}:{args.port}"
    wait_ready(base)
    print(f"== API up at {base} (OpenAPI: {base}/docs)\n")
    with httpx.Client(base_url=base, timeout=30) as client:
        for body in EXAMPLES:
            payload = {**body, "k": 5}
            print(f"$ curl -s {base}/v1/search -H 'content-type: application/json' -d '{json.dumps(payload)}'")
            r = client.post("/v1/search", json=payload)
            data = r.json()
            if r.status_code != 200:
                print(f"  -> HTTP {r.status_code}: {data.get('detail')}\n")
                continue
            print(f"  -> {len(data['hits'])} hits, {data['mode']}/{data['syntax']}, {data['timings_ms']['total']:.1f} ms")
            for h in data["hits"]:
                c = h["candidate"]
                at = f"@ {c['current_company']}" if c["current_company"] else "(between jobs)"
                print(f"     {h['rank']}. {h['candidate_id']}  {c['current_title']} {at}, "
                      f"{c['location']}, {c['years_experience']}y  matched={h['matched_fields']}")
            print()
    if args.no_serve:
        server.should_exit = True
        thread.join(timeout=10)
        return 0
    print(f"serving on {base} — Ctrl-C to stop")
    try:
        while thread.is_alive():
            thread.join(timeout=1)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(timeout=10)
    return 0


def wait_ready(base: str, timeout: float = 60, *, proc=None) -> None:
    """Poll ``base``/readyz until it answers 200; fail early if the server process ``proc`` exited."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"API at {base} did not become ready in {timeout:.0f} s")
