"""sources.yaml: every address with its evidence, the current vintages, the right population
files; fetch --plan; and the months data.police.uk did not publish reaching the data notes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

from conftest import PROJECT_ROOT, write_street_file
from csp_assessment.config import load_config
from csp_assessment.fetch import fetch, report_plan
from csp_assessment.fetch.files import MANIFEST_NAME
from csp_assessment.fetch.ons import lad_csp_pfa_vintages
from csp_assessment.fetch.sources import SOURCES_FILE, caution, entries_without_evidence, load_sources
from csp_assessment.ingest.folder import ingest_folder

ONS_FILE = "https://www.ons.gov.uk/file?uri=/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/"
MYE = ONS_FILE + "populationestimatesforukenglandandwalesscotlandandnorthernireland/"
SAPE = ONS_FILE + "lowersuperoutputareamidyearpopulationestimates/"


def test_every_address_has_its_evidence_dated():
    sources = load_sources()
    assert entries_without_evidence(sources) == []

    def evidence(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if str(key).endswith("checked") or key == "unconfirmed":
                    yield f"{path}.{key}", value
                else:
                    yield from evidence(value, f"{path}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from evidence(value, f"{path}[{n}]")

    lines = list(evidence(sources))
    assert len(lines) > 40
    for where, line in lines:
        assert isinstance(line, str) and len(line) > 30, where
        if where.endswith("checked"):  # where it was confirmed, and when
            assert line.startswith("2026-12-03: "), where


def test_no_unsuffixed_service_names_and_a_current_partnership_lookup():
    text = SOURCES_FILE.read_text(encoding="utf-8")
    assert "LSOA11_WD17_LAD17_EW_LU" not in text
    assert not re.search(r"LAD19_CSP19_PFA19_EW_LU/", text)  # only the suffixed name, marked unconfirmed
    ons = load_sources()["ons"]
    assert "LSOA11_WD17_EW_LU_c65dfe9ca2fa4b0fa578b65a4d5c9856" in ons["lookups"]["lsoa_ward_lad_2011"]["service"]
    assert max(int(y) for y in ons["lad_csp_pfa"] if not ons["lad_csp_pfa"][y].get("unconfirmed")) >= 2023
    assert ons["lad_csp_pfa"]["2019"]["unconfirmed"]
    assert "LSOA21_WD24_LAD24_EW_LU" in ons["lookups"]["lsoa_ward_lad_2021"]["service"]


def test_the_partnership_lookup_is_the_one_of_the_periods_end_else_the_newest():
    vintages = load_sources()["ons"]["lad_csp_pfa"]
    assert [y for y, _ in lad_csp_pfa_vintages(vintages, "2022-11")] == ["2022"]
    assert [y for y, _ in lad_csp_pfa_vintages(vintages, "2023-12")] == ["2023"]
    assert [y for y, _ in lad_csp_pfa_vintages(vintages, "2025-12")] == ["2024"]
    # before 2020: the 2019 lookup, unconfirmed, with the newest confirmed one to fall back on
    assert [y for y, _ in lad_csp_pfa_vintages(vintages, "2019-06")] == ["2019", "2024"]
    assert caution("ons.lad_csp_pfa.2019", vintages["2019"]).startswith(
        "caution: ons.lad_csp_pfa.2019 in csp_assessment/fetch/sources.yaml is unconfirmed (the service name's suffix")


def test_population_files_for_every_year_2011_to_2024_as_published():
    ons = load_sources()["ons"]
    estimates = ons["mid_year_estimates"]
    assert sorted(estimates) == list(range(2011, 2025))
    assert estimates[2015]["url"] == MYE + "mid2015/ukmye2015.zip" and estimates[2015]["member"].endswith(".xls")
    assert estimates[2018]["url"].endswith("mid20182019laboundaries/ukmidyearestimates20182019ladcodes.xls")
    assert estimates[2019]["url"] == MYE + ("mid2019april2020localauthoritydistrictcodes/"
                                           "ukmidyearestimates20192020ladcodes.xls")
    assert estimates[2023]["url"] == MYE + "mid2023/mye23tablesuk.xlsx"
    assert estimates[2024]["url"] == MYE + "mid2024/mye24tablesuk.xlsx"
    assert estimates[2011]["url"] == estimates[2014]["url"] == MYE + "mid2011tomid2024/myebtablesuk20112024.xlsx"
    small = ons["small_area_population"]
    assert sorted(small["LSOA11CD"]) == list(range(2011, 2021)) and sorted(small["LSOA21CD"]) == [2021, 2022, 2023, 2024]
    assert small["LSOA11CD"][2020]["url"].endswith(".xlsx") and "member" not in small["LSOA11CD"][2020]
    assert small["LSOA11CD"][2019]["url"].endswith(".zip") and small["LSOA11CD"][2019]["member"]
    assert small["LSOA21CD"][2024]["url"] == SAPE + "mid2022revisednov2025tomid2024/sapelsoasyoa20222024.xlsx"


def _plan(tmp_path, year, area, period_from=None, period_to=None, data=None):
    config = load_config(year, area=area, data_dir=data or tmp_path / "empty", period_from=period_from,
                         period_to=period_to)
    lines = []
    result = fetch(config, plan=True, cache_dir=tmp_path / "cache", log=lines.append, mirror="http://127.0.0.1:9")
    out = io.StringIO()
    report_plan(result, out)
    return result, out.getvalue(), lines


def test_plan_lists_every_address_and_why_without_asking(tmp_path):
    # a mirror nothing listens on: a plan that asked anything would fail
    result, out, _ = _plan(tmp_path, 2025, "E06000060")
    addresses = [p.address for p in result.plan]
    assert addresses[0].endswith("/LAD24_CSP24_PFA24_EW_LU/FeatureServer/0")
    assert any("LSOA11_LSOA21_LAD22_EW_LU" in a for a in addresses)  # 2021-22 files are LSOA 2011 coded
    assert [a for a in addresses if "/data/archive/" in a] == ["https://data.police.uk/data/archive/2025-12.zip",
                                                               "https://data.police.uk/data/archive/2022-12.zip"]
    assert "2023-01 to 2025-12" in out and "police force covering E06000060" in out
    assert any(a.endswith("mid2024/mye24tablesuk.xlsx") for a in addresses)
    assert any("child_area_type_id=502" in a for a in addresses)
    assert "nothing was downloaded" in out and not (tmp_path / "empty").exists()


def test_plan_before_2020_cautions_about_the_unconfirmed_lookup(tmp_path):
    result, out, lines = _plan(tmp_path, 2017, "E06000035")
    assert any("LAD19_CSP19_PFA19_EW_LU_b15ccb5cd8434941919587922cda69cc" in p.address and p.caution
               for p in result.plan)
    assert sum("caution: ons.lad_csp_pfa.2019" in line for line in lines) == 1  # one line, once
    assert "caution: ons.lad_csp_pfa.2019" in out


def test_cli_plan_for_buckinghamshire_2025(tmp_path):
    """The issue's check: python pipeline.py fetch --plan --year 2025 --area E06000060."""
    done = subprocess.run([sys.executable, "pipeline.py", "fetch", "--plan", "--year", "2025", "--area", "E06000060",
                           "--data", str(tmp_path / "raw"), "--cache", str(tmp_path / "cache")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CSP_FETCH_MIRROR": "http://127.0.0.1:9"})
    assert done.returncode == 0, done.stderr
    assert "fetch would ask for 10 address(es)" in done.stdout
    assert "https://data.police.uk/data/archive/2025-12.zip" in done.stdout
    assert not (tmp_path / "raw").exists()


def test_gaps_recorded_by_fetch_reach_the_ingest_warnings(tmp_path):
    data = tmp_path / "raw"
    for month in ("2022-01", "2022-03", "2022-04"):
        write_street_file(data / month / f"{month}-kent-street.csv", month, [("a1", "E01016001", "Burglary")])
    lookup = data / "ons" / "lookup.csv"
    lookup.parent.mkdir(parents=True)
    lookup.write_text("LSOA11CD,LSOA11NM,WD17CD,WD17NM,WD17NMW,LAD17CD,LAD17NM,FID\n"
                      "E01016001,Medway 001A,E05002001,River,,E06000035,Medway,1\n", encoding="utf-8")
    gaps = {f"kent {m} street": {"force": "kent", "month": m, "kind": "street", "source": "not in archive",
                                 "reason": "", "found_at": "2026-12-03T00:00:00+00:00"}
            for m in ("2022-01", "2022-02")}  # 2022-01 has since been put in the folder by hand
    (data / MANIFEST_NAME).write_text(json.dumps({"files": {}, "gaps": gaps}), encoding="utf-8")
    summary = ingest_folder(data, tmp_path / "processed", months=("2022-01", "2022-04"))
    [sentence] = [w for w in summary.warnings if "published no street-level crime file" in w]
    assert "for kent for Feb 22 (found missing by python pipeline.py fetch)" in sentence
    assert "not counted as zero" in sentence

    gaps["kent 2022-05 street"] = {**gaps["kent 2022-02 street"], "month": "2022-05"}
    (data / MANIFEST_NAME).write_text(json.dumps({"files": {}, "gaps": gaps}), encoding="utf-8")
    again = ingest_folder(data, tmp_path / "processed", months=("2022-01", "2022-05"))
    assert not again.reused and any("Feb 22, May 22" in w for w in again.warnings)
