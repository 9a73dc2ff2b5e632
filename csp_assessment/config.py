"""Params files + command-line flags -> one validated :class:`RunConfig`.

``params/defaults.yaml`` holds shared settings; ``params/<year>.yaml`` the year's area,
assessment period and population year. Flags given on the command line (or as notebook
parameters) override both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARAMS_DIR = PROJECT_ROOT / "params"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
AREA_CODE = re.compile(r"^[EW](06|07|08|09|22)\d{6}$")  # local authority (E06-E09, W06) or CSP (E22/W22)


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
    extra: dict = field(default_factory=dict, compare=False)

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


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return data


def _resolve_path(value: str | Path, base: Path) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


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
    from .sections import SECTIONS  # here, not at import time: sections imports config

    cwd = Path.cwd() if cwd is None else cwd
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ConfigError(f"year '{year}' is not a year; params exist for: {available_years(params_dir)}") from None
    year_file = params_dir / f"{year}.yaml"
    if not year_file.exists():
        raise ConfigError(
            f"no params for {year}: {year_file} does not exist. Years with params: "
            f"{', '.join(map(str, available_years(params_dir))) or 'none'}. "
            f"Copy one of those files to params/{year}.yaml and edit it."
        )
    settings = _read_yaml(params_dir / "defaults.yaml") if (params_dir / "defaults.yaml").exists() else {}
    year_settings = _read_yaml(year_file)
    settings.update(year_settings)

    area_settings = settings.get("area") or {}
    params_codes = [str(c).upper() for c in area_settings.get("codes") or []]
    if area is None:
        codes = params_codes
    else:
        codes = [area] if isinstance(area, str) else list(area)
        codes = [c.strip() for code in codes for c in str(code).split(",") if c.strip()]
    codes = [str(c).upper() for c in codes]
    # --area naming the params file's own area keeps its names (the partnership's name on the cover);
    # another area takes its names from the ONS lookups.
    area_from_params = area is None or (bool(codes) and set(codes) == set(params_codes))
    if not codes:
        raise ConfigError(f"{year_file}: no area codes; set area.codes or pass --area ONS_CODE")
    for code in codes:
        if not AREA_CODE.match(code):
            raise ConfigError(
                f"area '{code}' is not an ONS local authority code (E06/E07/E08/E09/W06 + 6 digits) "
                "or Community Safety Partnership code (E22/W22 + 6 digits), e.g. E06000035 for Medway"
            )

    period_settings = settings.get("period") or {}
    start = period_from or period_settings.get("from")
    end = period_to or period_settings.get("to")
    if not start or not end:
        raise ConfigError(f"{year_file}: the assessment period needs period.from and period.to (YYYY-MM)")
    period = Period.parse(str(start), str(end), "assessment period")
    back = int(settings.get("comparison_months_back", 12))
    comparison = period.shift(-back)
    n_trend = int(settings.get("trend_periods", 5))
    trend = tuple(period.shift(-12 * k) for k in reversed(range(n_trend)))

    params_sections = settings.get("sections", [])
    section_list = sections if sections is not None else params_sections
    if isinstance(section_list, str):
        section_list = [s.strip() for s in section_list.split(",") if s.strip()]
    for given, where in ((section_list, "--sections" if sections is not None else f"{year_file.name} sections"),
                         (params_sections, f"{year_file.name} sections")):
        unknown = [s for s in given if s not in SECTIONS]
        if unknown:
            raise ConfigError(f"{where}: unknown section(s) {unknown}; sections that exist: "
                              + ", ".join(f"{key} ({spec.title})" for key, spec in SECTIONS.items()))
    if not section_list:
        raise ConfigError("no sections to run")
    document_sections = [*params_sections, *[s for s in section_list if s not in params_sections]]

    from .stats.priorities import check_priority_params  # here, not at import time: priorities imports config

    check_priority_params(settings.get("priorities"), settings.get("previous_priorities"))
    peers = settings.get("peers")
    spc = settings.get("spc") or {}
    for month in spc.get("rebase") or []:
        if not MONTH.match(str(month)):
            raise ConfigError(f"spc.rebase: '{month}' is not a month; give months as \"YYYY-MM\"")
    return RunConfig(
        year=year,
        title=str(settings.get("title", f"Community Safety Strategic Assessment {year}")),
        area_name=str(area_settings.get("name", "")) if area_from_params else "",
        area_codes=tuple(codes),
        police_force=str(area_settings.get("police_force", "")),
        partnership=str(area_settings.get("partnership", "")) if area_from_params else "",
        period=period,
        comparison=comparison,
        trend=trend,
        population_year=int(settings.get("population_year", period.end.year - 1)),
        peers=tuple(str(p).upper() for p in peers) if peers else None,
        sections=tuple(section_list),
        document_sections=tuple(dict.fromkeys(document_sections)),
        top_wards=int(settings.get("top_wards", 5)),
        suppression_threshold=int(settings.get("suppression_threshold", 5)),
        data_dir=_resolve_path(data_dir, cwd) if data_dir else _resolve_path(settings.get("data_dir", "data/raw"), PROJECT_ROOT),
        processed_dir=_resolve_path(processed_dir, cwd) if processed_dir
        else _resolve_path(settings.get("processed_dir", "data/processed"), PROJECT_ROOT),
        out_dir=_resolve_path(out_dir, cwd) if out_dir else _resolve_path(settings.get("out_dir", "reports"), PROJECT_ROOT),
        introduction=str(settings.get("introduction", "")).strip(),
        partnership_members=str(settings.get("partnership_members") or "").strip(),
        contact=str(settings.get("contact") or "").strip(),
        narrative_dir=str(settings["narrative_dir"]) if settings.get("narrative_dir") else None,
        spc_rebase=tuple(str(m) for m in spc.get("rebase") or []),
        spc_fix_after=spc.get("fix_after"),
        spc_screen_outliers=bool(spc.get("screen_outliers", True)),
        spc_targets={str(k): float(v) for k, v in (spc.get("targets") or {}).items()},
        priorities=dict(settings.get("priorities") or {}),
        previous_priorities=tuple(settings.get("previous_priorities") or ()),
        area_from_params=area_from_params,
        unplaced_warn_pct=float((settings.get("unplaced_records") or {}).get("warn_pct", 0.5)),
        unplaced_stop_pct=float((settings.get("unplaced_records") or {}).get("stop_pct", 5.0)),
        drug_charge_target_pct=_drug_charge_target((settings.get("police_outcomes") or {}).get("drug_charge_target_pct")),
        skip_files=_file_patterns(settings, "skip_files"),
        prefer_files=_file_patterns(settings, "prefer_files"),
    )


def _file_patterns(settings: dict, key: str) -> tuple[str, ...]:
    """A list of file names or paths in the data folder (shell patterns allowed), as params give it."""
    value = settings.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{key}: {value!r} is not a list of file names; write it like "
                          f"{key}: [partner-returns-2017.csv, fingertips/old-export.csv]")
    return tuple(item.strip() for item in value)


def _drug_charge_target(value) -> float | str | None:
    if value is None or value == "increase":
        return value
    try:
        target = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"police_outcomes.drug_charge_target_pct: {value!r} is neither a percentage nor "
                          "'increase'") from None
    if not 0 <= target <= 100:
        raise ConfigError(f"police_outcomes.drug_charge_target_pct: {value!r} is not a percentage (0 to 100)")
    return target


def with_area(config: RunConfig, name: str, partnership: str) -> RunConfig:
    """The config with the area's names filled in from the lookups (used when --area was given).

    The ONS lookup names a partnership by its place ("Medway"); the document names the
    partnership itself ("Medway Community Safety Partnership")."""
    if partnership and not partnership.lower().endswith("partnership"):
        partnership = f"{partnership} Community Safety Partnership"
    return replace(config, area_name=config.area_name or name, partnership=config.partnership or partnership)
