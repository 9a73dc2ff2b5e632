"""A crime/ASB section on the demo data with settings changed in params: small-number suppression."""

import shutil

import pytest

from conftest import PROJECT_ROOT
from csp_assessment.config import load_config
from csp_assessment.demo import generate_demo
from csp_assessment.ingest.folder import ingest_folder
from csp_assessment.section import CrimeSection
from csp_assessment.sections import SECTIONS


@pytest.fixture(scope="module")
def asb_with_threshold(tmp_path_factory, demo_dir):
    """ASB for Medway 2017 with the suppression threshold at 700: of the top wards (743, 672, 587,
    510, 460 incidents) only the first can be published."""
    root = tmp_path_factory.mktemp("sections")
    params = root / "params"
    shutil.copytree(PROJECT_ROOT / "params", params)
    with open(params / "2017.yaml", "a") as fh:
        fh.write("suppression_threshold: 700\n")
    config = load_config(2017, data_dir=demo_dir, processed_dir=root / "processed", params_dir=params)
    return CrimeSection(SECTIONS["asb"], config, ingest_folder(config.data_dir, config.processed_dir))


def test_small_ward_counts_are_suppressed_for_reviewers(asb_with_threshold):
    section = asb_with_threshold
    assert list(section.suppressed_wards) == [False, True, True, True, True]
    reviewer = section.hotspot_table().to_html()
    assert "743" in reviewer and "&lt;700" in reviewer and "672" not in reviewer and "suppressed" in reviewer
    analyst = section.hotspot_table(exact=True).to_html()
    assert "672" in analyst and "not for publication" in analyst
    # the combined share of the top wards would let a reader work the suppressed counts back
    assert "%" not in section.hotspot_summary().data
    assert section.findings()["top_wards_suppressed"] is True
    hotspots = section.overview().set_index("Measure").loc["Hotspots (top 5 wards)", "Finding"]
    assert "%" not in hotspots


def test_a_month_missing_and_an_unknown_lsoa_are_said_plainly(tmp_path):
    """A gap in the monthly files leaves the period's figures out, saying why; records with an LSOA
    the lookup does not know are counted and reported, never silently dropped."""
    generate_demo(tmp_path / "raw")
    (tmp_path / "raw" / "police-uk" / "2016-11" / "2016-11-kent-street.csv").unlink()
    december = tmp_path / "raw" / "police-uk" / "2016-12" / "2016-12-kent-street.csv"
    with open(december, "a", newline="") as fh:
        fh.write(",2016-12,Kent Police,Kent Police,0.5,51.4,On or near Nowhere,E01999999,Nowhere 001A,"
                 "Anti-social behaviour,,\r\n")
    config = load_config(2017, data_dir=tmp_path / "raw", processed_dir=tmp_path / "processed")
    section = CrimeSection(SECTIONS["asb"], config, ingest_folder(config.data_dir, config.processed_dir))
    assert section.count is None and section.change is None
    notes = " ".join(n.text for n in section.data_notes())
    assert "Incomplete period" in notes and "(Nov 16)" in notes
    assert "1 records in the area's police files carry LSOA codes that no lookup in the data folder can place " \
           "(e.g. E01999999)" in notes
    assert "cannot be given" in section.headline()
