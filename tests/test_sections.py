"""A crime/ASB section on the demo data with settings changed in params: small-number suppression."""

import io
import shutil
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from csp_assessment.config import load_config
from csp_assessment.ingest.folder import prepare_data
from csp_assessment.sections.crime import CrimeSection
from csp_assessment.sections import SECTIONS


@pytest.fixture(scope="module")
def asb_with_threshold(tmp_path_factory, demo_dir, demo_tables_once):
    """ASB for Medway 2017 with the suppression threshold at 700: of the top wards (743, 672, 587,
    510, 460 incidents) only the first can be published."""
    root = tmp_path_factory.mktemp("sections")
    params = root / "params"
    shutil.copytree(PROJECT_ROOT / "params", params)
    with open(params / "2017.yaml", "a") as fh:
        fh.write("suppression_threshold: 700\n")
    shutil.copytree(demo_tables_once, root / "processed")
    config = load_config(2017, data_dir=demo_dir, processed_dir=root / "processed", params_dir=params)
    return CrimeSection(SECTIONS["asb"], config, prepare_data(config))


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


def test_a_month_missing_and_an_unknown_lsoa_are_said_plainly(demo_variant):
    """A gap in the monthly files leaves the period's figures out, saying why; records with an LSOA
    the lookup does not know are counted and reported, never silently dropped."""
    raw, processed = demo_variant()
    (raw / "police-uk" / "2016-11" / "2016-11-kent-street.csv").unlink()
    december = raw / "police-uk" / "2016-12" / "2016-12-kent-street.csv"
    text = december.read_text(encoding="utf-8")
    december.unlink()  # a link to the session's demo file: write a file of its own
    december.write_text(text + ",2016-12,Kent Police,Kent Police,0.5,51.4,On or near Nowhere,E01999999,"
                        "Nowhere 001A,Anti-social behaviour,,\r\n", encoding="utf-8", newline="")
    config = load_config(2017, data_dir=raw, processed_dir=processed)
    section = CrimeSection(SECTIONS["asb"], config, prepare_data(config))
    assert section.count is None and section.change is None
    notes = " ".join(n.text for n in section.data_notes())
    assert "Incomplete period" in notes and "(Nov 16)" in notes
    assert "1 record in the area's police files carries an LSOA code that no lookup in the data folder can place " \
           "(e.g. E01999999)" in notes
    assert "cannot be given" in section.headline()


def _demo_without_lsoas(demo_variant, name, n_removed):
    """The demo data with ``n_removed`` of Medway's LSOAs left out of the ONS lookup, in ``name``
    (and the session's tables in ``name``-processed): (config of the 2017 run, its ingest)."""
    folder, processed = demo_variant(folder=Path(name).resolve(), processed=Path(f"{name}-processed").resolve())
    lookup = folder / "ons" / "lsoa11-ward17-lad17-lookup.csv"
    lines = lookup.read_text(encoding="utf-8").splitlines(keepends=True)
    medway = [i for i, line in enumerate(lines) if ",E06000035," in line]
    removed = set(medway[:n_removed])
    lookup.unlink()  # a link to the session's demo file: write a file of its own
    lookup.write_text("".join(line for i, line in enumerate(lines) if i not in removed), encoding="utf-8")
    config = load_config(2017, data_dir=folder, processed_dir=processed)
    return config, prepare_data(config)


def test_a_partial_count_says_so_in_its_headline_and_too_partial_a_count_stops_the_run(demo_variant, tmp_path):
    from csp_assessment.geography import UnplacedRecordsError
    from csp_assessment.run import Progress, check_placement

    config, ingest = _demo_without_lsoas(demo_variant, tmp_path / "raw", 3)
    section = CrimeSection(SECTIONS["all_crime"], config, ingest)
    placement = section.placement
    assert 0.5 < placement.unplaced_pct < 5
    headline = section.headline()
    assert headline.startswith(f"{section.count:,} crimes were recorded in Medway")
    assert f"Partial count: {placement.unplaced:,} of {placement.candidates:,} records" in headline
    assert "LSOA 2021 to ward to local authority lookup" in headline  # the remedy
    progress = Progress(stream=io.StringIO())
    check_placement(config, progress)
    assert any(line.split("]", 1)[-1].strip().startswith("WARNING  Medway: Partial count") for line in progress.lines)

    config, _ = _demo_without_lsoas(demo_variant, tmp_path / "raw2", 12)
    with pytest.raises(UnplacedRecordsError, match=r"Medway: Partial count: .*The run stops because more than 5%"):
        check_placement(config, Progress(stream=io.StringIO()))
