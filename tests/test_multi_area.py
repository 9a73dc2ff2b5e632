"""A police force name means all its partnerships (two areas run together: test_dask_areas)."""

import pytest

from csp_assessment import store
from csp_assessment.errors import ConfigError
from csp_assessment.run import partnerships_of_force

pytestmark = pytest.mark.slow


def test_force_name_means_all_its_partnerships(demo_tables_once):
    codes = partnerships_of_force(demo_tables_once, "Kent Police")
    assert codes == partnerships_of_force(demo_tables_once, "kent")
    expected = sorted(store.read_table(demo_tables_once, "area_lookup")["csp_code"].unique())
    assert codes == expected and len(codes) == 12  # 13 authorities; Dartford and Gravesham share one
    with pytest.raises(ConfigError, match="forces: Kent"):
        partnerships_of_force(demo_tables_once, "Atlantis")

