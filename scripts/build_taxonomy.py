"""Build the compact shipped taxonomy ``records/data/taxonomy.json.gz`` from the O*NET 27.0 text files.

Usage::

    python scripts/build_taxonomy.py [--onet ../shared/data/onet] [--out records/data/taxonomy.json.gz]

The output is deterministic (sorted keys and lists, gzip mtime 0): running it twice on the same
input gives byte-identical files. Per occupation it keeps the code, title, a short description,
the job zone (inferred from related occupations or the major group when O*NET has none), the most
common required education level (inferred the same way when missing), alternate titles (+ short titles), reported titles, technology
skills, related occupations and up to ``MAX_TASKS`` task statements (Core first).

A handful of technology skills that O*NET 27.0 (August 2022) does not list yet but that modern data
and software profiles name constantly (Airflow, Kubernetes, ...) are added for a few occupations, and
Data Scientists (15-2051.00, which O*NET 27.0 gives no technology skills) get the usual ones; these
links are kept apart under ``supplement`` so that the O*NET-derived part stays a faithful subset.

ESCO v1.2 occupation labels (preferred + alternative, English) are added as extra title aliases under
``esco``, each attached to an O*NET occupation: through the ESCO/O*NET crosswalk (Nesta, Nov 2020) when
its code still exists in O*NET 27.0; when the crosswalk names a retired 2010 SOC code, through an exact
match of that O*NET title in today's taxonomy; otherwise through an exact match of the ESCO preferred
label. ESCO occupations none of these place are left out. ``--esco ''`` builds without ESCO.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

ATTRIBUTION = ("O*NET 27.0 Database by the U.S. Department of Labor, Employment and Training Administration "
               "(USDOL/ETA), CC BY 4.0")
FORMAT = "talentsearch-taxonomy/1"
MAX_TASKS = 8
MAX_DESCRIPTION_CHARS = 320
TIER_WEIGHT = {"Primary-Short": 3, "Primary-Long": 2, "Supplemental": 1}

# (skill name, hot, commodity title or None = as in O*NET, occupation codes): links O*NET 27.0 does not
# have; see the module docstring.
SUPPLEMENT = [
    ("Apache Airflow", True, "Enterprise application integration software",
     ["15-1243.00", "15-1243.01", "15-2051.00", "15-2051.01", "15-1252.00"]),
    ("Kubernetes", True, "Configuration management software",
     ["15-1252.00", "15-1244.00", "15-1241.00", "15-1299.08", "15-1243.00"]),
    ("Terraform", True, "Configuration management software", ["15-1252.00", "15-1244.00", "15-1241.00"]),
    ("Snowflake", True, "Data base management system software",
     ["15-1243.00", "15-1243.01", "15-2051.00", "15-2051.01"]),
    ("Databricks", True, "Data base management system software", ["15-1243.00", "15-1243.01", "15-2051.00"]),
    ("dbt", True, "Data base management system software", ["15-1243.00", "15-1243.01", "15-2051.01"]),
    ("PyTorch", True, "Analytical or scientific software", ["15-2051.00", "15-1221.00", "15-1252.00"]),
    ("TensorFlow", True, "Analytical or scientific software", ["15-2051.00", "15-1221.00", "15-1252.00"]),
    ("scikit-learn", True, "Analytical or scientific software", ["15-2051.00", "15-1221.00", "15-2041.00"]),
    # O*NET 27.0 lists no technology skills at all for Data Scientists (15-2051.00): link the usual ones.
    ("Python", True, None, ["15-2051.00"]),
    ("R", True, None, ["15-2051.00"]),
    ("Structured query language SQL", True, None, ["15-2051.00"]),
    ("Apache Spark", True, None, ["15-2051.00"]),
    ("Tableau", True, None, ["15-2051.00"]),
    ("Git", True, None, ["15-2051.00"]),
    ("SAS software", True, None, ["15-2051.00"]),
]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def short_description(text: str) -> str:
    """First sentences of the O*NET description, at most ``MAX_DESCRIPTION_CHARS`` unless one sentence is longer."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    out = sentences[0]
    for s in sentences[1:]:
        if len(out) + 1 + len(s) > MAX_DESCRIPTION_CHARS:
            break
        out += " " + s
    return out


def _na(value: str) -> str | None:
    value = (value or "").strip()
    return None if value in ("", "n/a") else value


def load_job_zones(onet: Path, codes: list[str], related: dict[str, list]) -> dict[str, tuple[int, bool]]:
    """code -> (job zone, inferred?). Missing zones: tier-weighted median over related occupations, else group median."""
    known = {r["O*NET-SOC Code"]: int(r["Job Zone"]) for r in read_tsv(onet / "Job Zones.txt")}
    by_group: dict[str, list[int]] = defaultdict(list)
    for code, zone in known.items():
        by_group[code[:2]].append(zone)
    out = {}
    for code in codes:
        if code in known:
            out[code] = (known[code], False)
            continue
        votes = [z for rc, tier, _ in related.get(code, ()) if (z := known.get(rc))
                 for _ in range(TIER_WEIGHT[tier])]
        pool = votes or by_group.get(code[:2]) or list(known.values())
        out[code] = (int(statistics.median_low(sorted(pool))), True)
    return out


def load_education(onet: Path) -> tuple[dict[str, int], dict[str, str]]:
    """code -> most common "Required Level of Education" category; category -> short label."""
    labels = {r["Category"]: r["Category Description"].split(" - ")[0].split(" (")[0].strip()
              for r in read_tsv(onet / "Education, Training, and Experience Categories.txt")
              if r["Scale ID"] == "RL"}
    best: dict[str, tuple[float, int]] = {}
    for r in read_tsv(onet / "Education, Training, and Experience.txt"):
        if r["Scale ID"] != "RL":
            continue
        value, cat = float(r["Data Value"]), int(r["Category"])
        cur = best.get(r["O*NET-SOC Code"])
        if cur is None or value > cur[0]:       # ties keep the lower category (first seen, files are sorted)
            best[r["O*NET-SOC Code"]] = (value, cat)
    return {code: cat for code, (_, cat) in best.items()}, labels


def infer_education(codes: list[str], known: dict[str, int], related: dict[str, list],
                    zones: dict[str, tuple[int, bool]]) -> dict[str, tuple[int, bool]]:
    """code -> (education category, inferred?). Missing: tier-weighted mode over related occupations,
    else the mode among occupations of the same job zone (ties: the lower category)."""
    by_zone: dict[int, Counter] = defaultdict(Counter)
    for code, cat in known.items():
        by_zone[zones[code][0]][cat] += 1
    out = {}
    for code in codes:
        if code in known:
            out[code] = (known[code], False)
            continue
        votes = Counter()
        for rc, tier, _ in related.get(code, ()):
            if rc in known:
                votes[known[rc]] += TIER_WEIGHT[tier]
        pool = votes or by_zone[zones[code][0]]
        out[code] = (min(pool, key=lambda c: (-pool[c], c)), True)
    return out


def load_tasks(onet: Path) -> dict[str, list[str]]:
    rank = {"Core": 0, "Supplemental": 1}
    rows: dict[str, list[tuple]] = defaultdict(list)
    for r in read_tsv(onet / "Task Statements.txt"):
        responding = float(r["Incumbents Responding"]) if _na(r["Incumbents Responding"]) else 0.0
        rows[r["O*NET-SOC Code"]].append((rank.get(r["Task Type"], 2), -responding, int(r["Task ID"]), r["Task"].strip()))
    return {code: [t[-1] for t in sorted(items)[:MAX_TASKS]] for code, items in rows.items()}


def build(onet: Path) -> dict:
    occ_rows = read_tsv(onet / "Occupation Data.txt")
    codes = sorted(r["O*NET-SOC Code"] for r in occ_rows)
    related: dict[str, list] = defaultdict(list)
    for r in read_tsv(onet / "Related Occupations.txt"):
        related[r["O*NET-SOC Code"]].append((r["Related O*NET-SOC Code"], r["Relatedness Tier"], int(r["Index"])))
    zones = load_job_zones(onet, codes, related)
    known_education, edu_labels = load_education(onet)
    education = infer_education(codes, known_education, related, zones)
    tasks = load_tasks(onet)

    alternates: dict[str, list] = defaultdict(list)
    for r in read_tsv(onet / "Alternate Titles.txt"):
        sources = len([s for s in r["Source(s)"].split(",") if s.strip()])
        alternates[r["O*NET-SOC Code"]].append([r["Alternate Title"].strip(), _na(r["Short Title"]), sources])
    reported: dict[str, list] = defaultdict(list)
    for r in read_tsv(onet / "Sample of Reported Titles.txt"):
        reported[r["O*NET-SOC Code"]].append([r["Reported Job Title"].strip(), int(r["Shown in My Next Move"] == "Y")])

    tech_rows = read_tsv(onet / "Technology Skills.txt")
    skill_names = sorted({r["Example"].strip() for r in tech_rows} | {s[0] for s in SUPPLEMENT})
    usual = Counter((r["Example"].strip(), r["Commodity Title"].strip()) for r in tech_rows)
    commodity_of = {}
    for (name, commodity), _ in sorted(usual.items(), key=lambda kv: (-kv[1], kv[0])):
        commodity_of.setdefault(name, commodity)
    commodities = sorted({r["Commodity Title"].strip() for r in tech_rows} | {s[2] for s in SUPPLEMENT if s[2]})
    s_idx = {n: i for i, n in enumerate(skill_names)}
    c_idx = {n: i for i, n in enumerate(commodities)}
    skills: dict[str, dict[int, list]] = defaultdict(dict)
    for r in tech_rows:
        i = s_idx[r["Example"].strip()]
        skills[r["O*NET-SOC Code"]][i] = [i, int(r["Hot Technology"] == "Y"), c_idx[r["Commodity Title"].strip()]]
    supplement = []
    for name, hot, commodity, targets in SUPPLEMENT:
        for code in targets:
            if code not in zones:
                raise SystemExit(f"supplement skill {name!r} names unknown occupation {code}")
            supplement.append([code, s_idx[name], int(hot), c_idx[commodity or commodity_of[name]]])

    occupations = []
    for r in sorted(occ_rows, key=lambda r: r["O*NET-SOC Code"]):
        code = r["O*NET-SOC Code"]
        zone, inferred = zones[code]
        occupations.append({
            "code": code,
            "title": r["Title"].strip(),
            "description": short_description(r["Description"]),
            "job_zone": zone,
            "job_zone_inferred": inferred,
            "education": education[code][0],
            "education_inferred": education[code][1],
            "alternate_titles": sorted(alternates.get(code, []), key=lambda a: (a[0], a[1] or "", a[2])),
            "reported_titles": sorted(reported.get(code, [])),
            "skills": [skills[code][i] for i in sorted(skills.get(code, {}))],
            "related": sorted(related.get(code, []), key=lambda t: t[2]),
            "tasks": tasks.get(code, []),
        })
    zone_names = {r["Job Zone"]: r["Name"].split(": ", 1)[-1] for r in read_tsv(onet / "Job Zone Reference.txt")}
    return {
        "format": FORMAT,
        "source": "O*NET 27.0 Database (August 2022 release)",
        "attribution": ATTRIBUTION,
        "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "education_levels": dict(sorted(edu_labels.items(), key=lambda kv: int(kv[0]))),
        "job_zones": zone_names,
        "skills": skill_names,
        "commodities": commodities,
        "occupations": occupations,
        "supplement": {
            "note": "occupation-skill links not in O*NET 27.0, curated by talentsearch; not O*NET data",
            "skills": sorted(supplement),
        },
    }


ESCO_ATTRIBUTION = ("ESCO classification v1.2, European Commission (free reuse with attribution, Decision "
                    "2011/833/EU); ESCO-O*NET crosswalk by Nesta (Nov 2020, MIT)")
ESCO_MIN_CONFIDENCE = 1.0      # crosswalk rows at 0.5 were judged doubtful by its authors


def _esco_labels(row: dict[str, str]) -> list[str]:
    """Preferred + alternative labels; "waiter/waitress" also yields "waiter" and "waitress"."""
    labels = [row["preferredLabel"]] + row["altLabels"].split("\n")
    out: list[str] = []
    for label in labels:
        label = " ".join(label.split())
        if not label:
            continue
        out.append(label)
        if "/" in label and " " not in label.replace("/", ""):
            out += [part for part in label.split("/") if part]
        elif re.fullmatch(r"[\w\- ]+ \w+/\w+", label):          # "sales man/woman" -> "sales man", "sales woman"
            head, _, tail = label.rpartition(" ")
            out += [f"{head} {part}" for part in tail.split("/") if part]
    return list(dict.fromkeys(out))


def build_esco(esco: Path, onet_data: dict) -> dict:
    """ESCO occupation labels attached to O*NET codes (see the module docstring for the mapping)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from records.taxonomy import Taxonomy     # the O*NET-only taxonomy matches titles for the fallbacks

    onet = Taxonomy.from_dict(onet_data)

    def exact(title: str) -> str | None:
        m = onet.match_title(title)
        return m.code if m is not None and m.score == 1.0 else None

    with open(esco / "occupations_en.csv", newline="", encoding="utf-8") as fh:
        occupations = {r["conceptUri"]: r for r in csv.DictReader(fh)}
    with open(esco / "esco_onet_crosswalk_Nov2020.csv", newline="", encoding="utf-8") as fh:
        crosswalk = {r["concept_uri"]: r for r in csv.DictReader(fh)}
    titles: list[list] = []
    via = Counter()
    for uri in sorted(occupations):
        row = occupations[uri]
        cw = crosswalk.get(uri)
        code, how = None, None
        if cw is not None and float(cw["confidence"]) >= ESCO_MIN_CONFIDENCE:
            if cw["onet_code"] in onet.occupations:
                code, how = cw["onet_code"], "crosswalk"
            else:
                code, how = exact(cw["onet_occupation"]), "crosswalk-retitled"
        if code is None and (cw is None or float(cw["confidence"]) >= ESCO_MIN_CONFIDENCE):
            code, how = exact(row["preferredLabel"]), "preferred-label"
        if code is None:
            via["unplaced"] += 1
            continue
        via[how] += 1
        titles.append([code, row["code"], _esco_labels(row), how])
    titles.sort()
    return {"source": "ESCO v1.2 occupations (English) + ESCO-O*NET crosswalk (Nesta, Nov 2020)",
            "attribution": ESCO_ATTRIBUTION, "placed_by": dict(sorted(via.items())),
            "note": "ESCO labels as extra title aliases of O*NET occupations; not O*NET data",
            "titles": titles}


def write(data: dict, out: Path) -> int:
    """Write gzip-compressed JSON with a fixed header (mtime 0, no file name); returns the size in bytes."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onet", type=Path, default=repo.parent / "shared" / "data" / "onet",
                    help="folder with the O*NET 27.0 text files (default: ../shared/data/onet)")
    ap.add_argument("--esco", type=str, default=str(repo.parent / "shared" / "data" / "esco"),
                    help="folder with the ESCO v1.2 CSV files and the crosswalk ('' = build without ESCO)")
    ap.add_argument("--out", type=Path, default=repo / "records" / "data" / "taxonomy.json.gz")
    args = ap.parse_args(argv)
    if not (args.onet / "Occupation Data.txt").is_file():
        print(f"error: {args.onet} does not hold the O*NET text files (Occupation Data.txt missing)", file=sys.stderr)
        return 2
    data = build(args.onet)
    if args.esco:
        esco = Path(args.esco)
        if not (esco / "occupations_en.csv").is_file():
            print(f"error: {esco} does not hold the ESCO CSV files (occupations_en.csv missing); "
                  "pass --esco '' to build without ESCO", file=sys.stderr)
            return 2
        data["esco"] = build_esco(esco, data)
    size = write(data, args.out)
    n_skills = sum(len(o["skills"]) for o in data["occupations"])
    zones = Counter(o["job_zone_inferred"] for o in data["occupations"])
    print(f"wrote {args.out} ({size / 1e6:.2f} MB): {len(data['occupations'])} occupations, "
          f"{len(data['skills'])} distinct skills, {n_skills} occupation-skill links, "
          f"{zones[True]} job zones inferred"
          + (f", {sum(len(t[2]) for t in data['esco']['titles'])} ESCO labels placed {data['esco']['placed_by']}"
             if "esco" in data else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
