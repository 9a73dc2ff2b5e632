"""Many areas in one invocation: codes or a police force name, one ingest, a report per area."""

import json

import pytest

from csp_assessment import store
from csp_assessment.errors import ConfigError
from csp_assessment.ingest.folder import ingest_folder
from csp_assessment.run import Progress, main_many, partnerships_of_force

pytestmark = pytest.mark.slow




def test_force_name_means_all_its_partnerships(demo_dir, tmp_path):
    ingest_folder(demo_dir, tmp_path)
    codes = partnerships_of_force(tmp_path, "Kent Police")
    assert codes == partnerships_of_force(tmp_path, "kent")
    expected = sorted(store.read_table(tmp_path, "area_lookup")["csp_code"].unique())
    assert codes == expected and len(codes) == 12  # 13 authorities; Dartford and Gravesham share one
    with pytest.raises(ConfigError, match="forces: Kent"):
        partnerships_of_force(tmp_path, "Atlantis")


def test_two_areas_get_their_own_reports_and_one_index(demo_dir, tmp_path):
    progress = Progress()
    year_dir = main_many(2017, ["E06000035", "E22000352"], progress, data_dir=demo_dir,
                         processed_dir=tmp_path / "processed", out_dir=tmp_path / "reports", sections="asb")
    assert sum("ingest   done" in line and "read:" in line for line in progress.lines) == 1  # ingested once
    index = (year_dir / "index.html").read_text()
    for code, name in (("E06000035", "Medway"), ("E22000352", "Dartford and Gravesham")):
        manifest = json.loads((year_dir / code / "manifest.json").read_text())
        assert manifest["area"]["name"] == name
        assert f'href="{code}/strategic-assessment-2017.pdf"' in index and name in index
    medway = json.loads((year_dir / "E06000035" / "findings" / "asb.json").read_text())
    assert medway["count"] == 7077
