"""Params files + command-line flags -> one validated :class:`RunConfig`.

``params/defaults.yaml`` holds shared settings; ``params/<year>.yaml`` the year's area,
assessment period and population year. What either may hold is stated once, in
params_schema.py, which checks them. Flags given on the command line (or as notebook
parameters) override both, and are checked here.

Params only: this module knows nothing of the sections or of the priority scoring. What needs
them (that every section key names a section, that the priorities blocks are well formed) is
checked by ``sections.check_config``, which the run and ``open_section`` call on this config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .errors import ConfigError
from .params_schema import AREA_CODE_PATTERN, MONTH_PATTERN, Params, check_params, read_params_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = PROJECT_ROOT / "params"
MONTH = re.compile(MONTH_PATTERN)
AREA_CODE = re.compile(AREA_CODE_PATTERN)  # local authority (E06-E09, W06) or CSP (E22/W22), any case


@dataclass(frozen=True)
class Period:
    """A run of whole calendar months, inclusive at both ends."""

    start: pd.Period
    end: pd.Period

    @classmethod
    def parse(cls, start: str, end: str, what: str = "period") -> "Period":
        for value, flag in ((start, "from"), (end, "to")):
            if not MONTH.match(str(value)):
                raise ConfigError(f"{what}: '{value}' is not a month; give --{flag} as YYYY-MM, e.g. 2016-04")
        period = cls(pd.Period(str(start), "M"), pd.Period(str(end), "M"))
        if period.end < period.start:
            raise ConfigError(f"{what}: ends ({end}) before it starts ({start})")
        return period

    @property
    def months(self) -> list[str]:
        return [str(p) for p in pd.period_range(self.start, self.end, freq="M")]

    @property
    def n_months(self) -> int:
        return len(self.months)

    def shift(self, months: int) -> "Period":
        return Period(self.start + months, self.end + months)

    @property
    def label(self) -> str:
        """'Apr 16 – Mar 17', the style of the published assessments."""
        if self.start == self.end:
            return self.start.strftime("%b %y")
        return f"{self.start.strftime('%b %y')} – {self.end.strftime('%b %y')}"

    @property
    def long_label(self) -> str:
        """'April 2016 – March 2017' for prose."""
        if self.start == self.end:
            return self.start.strftime("%B %Y")
        return f"{self.start.strftime('%B %Y')} – {self.end.strftime('%B %Y')}"


@dataclass(frozen=True)
class RunConfig:
    year: int
    title: str
    area_name: str
    area_codes: tuple[str, ...]
    police_force: str
    partnership: str
    period: Period
    comparison: Period
    trend: tuple[Period, ...]  # oldest first, ending with the assessment period
    population_year: int
    peers: tuple[str, ...] | None
    sections: tuple[str, ...]  # the sections this run executes (--sections, else params)
    top_wards: int
    suppression_threshold: int
    data_dir: Path
    processed_dir: Path
    out_dir: Path
    introduction: str = ""
    partnership_members: str = ""  # who the partnership brings together, for the introduction
    contact: str = ""  # who to ask about the figures: the workbook's cover (params ``contact``)
    narrative_dir: str | None = None  # the partnership's texts; None = the folder named "narrative" in the data folder
    spc_rebase: tuple[str, ...] = ()
    spc_fix_after: int | None = None
    spc_screen_outliers: bool = True
    spc_targets: dict = field(default_factory=dict)  # series name -> monthly target
    priorities: dict = field(default_factory=dict)  # params' priorities: block (see stats/priorities.py)
    previous_priorities: tuple = ()  # last year's priorities and their measures (see stats/priorities.py)
    area_from_params: bool = True  # False when --area replaced the params file's area
    # Records whose LSOA cannot be placed: above warn_pct of the area's candidate records the
    # headline and run log say so; above stop_pct the run stops rather than print a wrong figure.
    unplaced_warn_pct: float = 0.5
    unplaced_stop_pct: float = 5.0
    # The substance misuse section's target for drug offences charged or summonsed as a % of outcomes:
    # a number, "increase" (above the comparison period), or None (params' police_outcomes block).
    drug_charge_target_pct: float | str | None = None
    # Files of the data folder the ingest leaves out, and the files that win where two give the same
    # figure (names or paths in the data folder, shell patterns allowed; params' skip_files, prefer_files).
    skip_files: tuple[str, ...] = ()
    prefer_files: tuple[str, ...] = ()
    report_subdir: str = ""  # set in a multi-area run: each area reports into reports/<year>/<area code>/
    # The sections of the report and document: params' list, with any --sections key params do not
    # list after it. With --sections, those not executed keep their last good result (run.py).
    document_sections: tuple[str, ...] = ()
    sections_flag: bool = False  # True when --sections (not params) chose the sections: messages name the flag

    @property
    def report_sections(self) -> tuple[str, ...]:
        """Every section the report and document hold (those --sections does not name are kept)."""
        return self.document_sections or self.sections

    @property
    def report_dir(self) -> Path:
        year_dir = self.out_dir / str(self.year)
        return year_dir / self.report_subdir if self.report_subdir else year_dir


def available_years(params_dir: Path = PARAMS_DIR) -> list[int]:
    return sorted(int(p.stem) for p in params_dir.glob("*.yaml") if p.stem.isdigit())


def _resolve_path(value: str | Path, base: Path) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _read_params(year: int, params_dir: Path) -> tuple[Params, Path]:
    """The year's params over the defaults (a year's key replaces the defaults' whole), checked
    against the schema (params_schema.py); and the year's file."""
    year_file = params_dir / f"{year}.yaml"
    if not year_file.exists():
        raise ConfigError(
            f"no params for {year}: {year_file} does not exist. Years with params: "
            f"{', '.join(map(str, available_years(params_dir))) or 'none'}. "
            f"Copy one of those files to params/{year}.yaml and edit it."
        )
    defaults_file = params_dir / "defaults.yaml"
    defaults = read_params_file(defaults_file) if defaults_file.exists() else {}
    year_settings = read_params_file(year_file)
    origin = {**{str(key): defaults_file for key in defaults}, **{str(key): year_file for key in year_settings}}
    params = check_params({**defaults, **year_settings}, origin)
    if params.year is not None and params.year != year:
        raise ConfigError(f"{year_file}: year: {params.year}, but the file is for {year}; correct one of them")
    return params, year_file


def check_cli_area_codes(area: str | list[str]) -> list[str]:
    """--area's codes (comma-separated, or a list), upper-cased; a code that is not one is refused."""
    codes = [area] if isinstance(area, str) else list(area)
    codes = [c.strip().upper() for code in codes for c in str(code).split(",") if c.strip()]
    for code in codes:
        if not AREA_CODE.match(code):
            raise ConfigError(
                f"--area {code}: not an ONS local authority code (E06/E07/E08/E09/W06 + 6 digits) "
                "or Community Safety Partnership code (E22/W22 + 6 digits), e.g. E06000035 for Medway"
            )
    return codes


def load_config(
    year: int | str,
    *,
    area: str | list[str] | None = None,
    data_dir: str | Path | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    out_dir: str | Path | None = None,
    sections: list[str] | str | None = None,
    processed_dir: str | Path | None = None,
    params_dir: Path = PARAMS_DIR,
    cwd: Path | None = None,
) -> RunConfig:
    """Read params for ``year`` and apply overrides. Relative flag paths are taken from ``cwd``
    (the caller's working directory); relative paths in params files from the project root."""
    cwd = Path.cwd() if cwd is None else cwd
    if isinstance(year, bool) or not re.fullmatch(r"\s*\d{4}\s*", str(year)):
        raise ConfigError(f"--year {year}: not a year; params exist for: "
                          f"{', '.join(map(str, available_years(params_dir))) or 'none'}")
    year = int(year)
    params, year_file = _read_params(year, params_dir)

    params_codes = list(params.area.codes)
    codes = params_codes if area is None else check_cli_area_codes(area)
    # --area naming the params file's own area keeps its names (the partnership's name on the cover);
    # another area takes its names from the ONS lookups.
    area_from_params = area is None or (bool(codes) and set(codes) == set(params_codes))
    if not codes:
        raise ConfigError(f"{year_file}: no area codes; set area.codes or pass --area ONS_CODE")

    start = period_from or params.period.start
    end = period_to or params.period.end
    if not start or not end:
        raise ConfigError(f"{year_file}: the assessment period needs period.from and period.to (YYYY-MM)")
    period = Period.parse(str(start), str(end), "assessment period")
    comparison = period.shift(-params.comparison_months_back)
    trend = tuple(period.shift(-12 * k) for k in reversed(range(params.trend_periods)))

    params_sections = params.sections
    if sections is None:
        section_list = params_sections
    elif isinstance(sections, str):
        section_list = [s.strip() for s in sections.split(",") if s.strip()]
    else:
        section_list = [str(s).strip() for s in sections]
    if not section_list:
        raise ConfigError("no sections to run: list them in params (sections:) or give --sections")
    document_sections = [*params_sections, *[s for s in section_list if s not in params_sections]]

    outcomes = params.police_outcomes.drug_charge_target_pct
    return RunConfig(
        year=year,
        title=params.title or f"Community Safety Strategic Assessment {year}",
        area_name=params.area.name if area_from_params else "",
        area_codes=tuple(codes),
        police_force=params.area.police_force,
        partnership=params.area.partnership if area_from_params else "",
        period=period,
        comparison=comparison,
        trend=trend,
        population_year=params.population_year or period.end.year - 1,
        peers=tuple(params.peers) if params.peers else None,
        sections=tuple(section_list),
        document_sections=tuple(dict.fromkeys(document_sections)),
        sections_flag=sections is not None,
        top_wards=params.top_wards,
        suppression_threshold=params.suppression_threshold,
        data_dir=_resolve_path(data_dir, cwd) if data_dir else _resolve_path(params.data_dir, PROJECT_ROOT),
        processed_dir=_resolve_path(processed_dir, cwd) if processed_dir
        else _resolve_path(params.processed_dir, PROJECT_ROOT),
        out_dir=_resolve_path(out_dir, cwd) if out_dir else _resolve_path(params.out_dir, PROJECT_ROOT),
        introduction=params.introduction.strip(),
        partnership_members=params.partnership_members.strip(),
        contact=(params.contact or "").strip(),
        narrative_dir=params.narrative_dir or None,
        spc_rebase=tuple(params.spc.rebase),
        spc_fix_after=params.spc.fix_after,
        spc_screen_outliers=params.spc.screen_outliers,
        spc_targets={name: float(target) for name, target in params.spc.targets.items()},
        priorities=dict(params.priorities or {}),
        previous_priorities=tuple(params.previous_priorities or ()),
        area_from_params=area_from_params,
        unplaced_warn_pct=params.unplaced_records.warn_pct,
        unplaced_stop_pct=params.unplaced_records.stop_pct,
        drug_charge_target_pct=outcomes if outcomes is None or outcomes == "increase" else float(outcomes),
        skip_files=tuple(params.skip_files),
        prefer_files=tuple(params.prefer_files),
    )


def with_area(config: RunConfig, name: str, partnership: str) -> RunConfig:
    """The config with the area's names filled in from the lookups (used when --area was given).

    The ONS lookup names a partnership by its place ("Medway"); the document names the
    partnership itself ("Medway Community Safety Partnership")."""
    if partnership and not partnership.lower().endswith("partnership"):
        partnership = f"{partnership} Community Safety Partnership"
    return replace(config, area_name=config.area_name or name, partnership=config.partnership or partnership)
