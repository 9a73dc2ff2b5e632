import pytest

from csp_assessment.config import Period, load_config
from csp_assessment.sections import check_config
from csp_assessment.errors import ConfigError


def test_2017_params_match_the_medway_document():
    cfg = load_config(2017)
    assert cfg.area_codes == ("E06000035",) and cfg.area_name == "Medway"
    assert cfg.period.label == "Apr 16 – Mar 17" and cfg.period.n_months == 12
    assert cfg.comparison.label == "Apr 15 – Mar 16"
    assert [p.label for p in cfg.trend] == ["Apr 12 – Mar 13", "Apr 13 – Mar 14", "Apr 14 – Mar 15",
                                            "Apr 15 – Mar 16", "Apr 16 – Mar 17"]
    assert cfg.population_year == 2016
    assert cfg.sections == ("all_crime", "asb", "violence_domestic_abuse", "substance_misuse", "reoffending",
                            "mental_health", "road_safety")


def test_flags_override_params(tmp_path):
    cfg = load_config(2022, area="E22000352", data_dir="somewhere", period_from="2022-01", period_to="2022-11",
                      out_dir=str(tmp_path), sections="asb", cwd=tmp_path)
    assert cfg.area_codes == ("E22000352",) and cfg.area_name == ""  # names come from the lookups
    assert cfg.period.label == "Jan 22 – Nov 22" and cfg.comparison.label == "Jan 21 – Nov 21"
    assert cfg.data_dir == tmp_path / "somewhere" and cfg.report_dir == tmp_path / "2022"
    assert cfg.sections == ("asb",)


def test_area_flag_naming_the_params_area_keeps_the_params_names():
    """`--area E06000035` with params/2022.yaml (whose area it is): the partnership named in params
    goes on the cover, as without the flag; another area takes its names from the ONS lookups."""
    same = load_config(2022, area="E06000035")
    assert same.area_name == "Medway" and same.partnership == "Medway Community Safety Partnership"
    luton = load_config(2024, area="e06000032")
    assert luton.partnership == "Luton Community Safety Partnership"
    other = load_config(2022, area="E07000110")
    assert other.area_name == "" and other.partnership == ""


def test_a_partnership_named_by_the_lookup_is_called_a_partnership():
    from csp_assessment.config import with_area

    other = load_config(2022, area="E07000110")
    assert with_area(other, "Maidstone", "Maidstone").partnership == "Maidstone Community Safety Partnership"
    assert with_area(other, "Maidstone", "Safer Maidstone Partnership").partnership == "Safer Maidstone Partnership"
    assert with_area(other, "Maidstone", "").partnership == ""


def test_unknown_year_lists_the_years_that_exist():
    with pytest.raises(ConfigError, match=r"no params for 1999.*2017, 2022"):
        load_config(1999)


@pytest.mark.parametrize("kwargs, message", [
    ({"area": "Medway"}, "not an ONS local authority code"),
    ({"period_from": "2016-13"}, "not a month"),
    ({"period_from": "2017-05", "period_to": "2017-03"}, "before it starts"),
])
def test_bad_flags_are_clear_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        load_config(2017, **kwargs)


def test_unknown_sections_are_clear_errors_before_anything_runs(tmp_path):
    # config.py knows params only; the sections' keys are checked against the package by check_config,
    # which the run, pipeline.py fetch and open_section call on the config
    with pytest.raises(ConfigError, match=r"--sections: unknown section\(s\) \['weather'\]"):
        check_config(load_config(2017, sections="all_crime,weather"))
    (tmp_path / "defaults.yaml").write_text("sections: [all_crime, weather]\n")
    (tmp_path / "2017.yaml").write_text("area: {codes: [E06000035]}\nperiod: {from: '2016-04', to: '2017-03'}\n")
    with pytest.raises(ConfigError, match=r"2017.yaml sections: unknown section\(s\) \['weather'\]"):
        check_config(load_config(2017, params_dir=tmp_path, sections="all_crime"))
    assert check_config(load_config(2017, sections="asb")).sections == ("asb",)


def test_period_labels():
    p = Period.parse("2016-04", "2017-03")
    assert p.long_label == "April 2016 – March 2017" and p.months[0] == "2016-04" and p.months[-1] == "2017-03"


def test_spc_settings_from_params(tmp_path):
    (tmp_path / "defaults.yaml").write_text("sections: [all_crime]\n")
    (tmp_path / "2017.yaml").write_text(
        "area: {name: Medway, codes: [E06000035]}\nperiod: {from: '2016-04', to: '2017-03'}\n"
        "spc: {rebase: ['2014-04'], fix_after: 24, targets: {All crime: 1900}}\n")
    cfg = load_config(2017, params_dir=tmp_path)
    assert (cfg.spc_rebase, cfg.spc_fix_after, cfg.spc_targets) == (("2014-04",), 24, {"All crime": 1900.0})
    (tmp_path / "2017.yaml").write_text(
        "area: {codes: [E06000035]}\nperiod: {from: '2016-04', to: '2017-03'}\nspc: {rebase: [April 2014]}\n")
    with pytest.raises(ConfigError, match="spc.rebase: 'April 2014' is not a month"):
        load_config(2017, params_dir=tmp_path)
