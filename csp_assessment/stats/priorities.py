"""Ranked priorities (MoRiLE-style) and progress on last year's priorities, from a run's findings.

MoRiLE (Management of Risk in Law Enforcement) ranks crime and disorder themes by threat, risk and
harm rather than by volume alone. Here, as in the Kent partnerships' strategic assessments:

* the run **computes** each theme's *likelihood* (its evidence score) from its own findings: for
  every measure linked to the theme in params (a data.police.uk category, or a substance misuse,
  re-offending or mental health indicator), its volume (rate per 1,000 residents), its rank among
  peers, its direction (annual change), the SPC signal of its latest month, and how it
  compares with England. Police-recorded measures count by their share of the theme's records, so
  a minor category cannot dilute a large theme (see :func:`theme_likelihood`);
* the partnership **judges** the rest in its scoring file: harm (physical, psychological,
  financial, community), vulnerability, public concern, confidence in the data, and its
  organisational position (capacity and capability);
* risk score = harm x likelihood x confidence factor x organisational factor, ranked highest first.

Only themes the partnership has scored are ranked: a judgement the partnership has not made is not
made for it. With no theme scored the assessment is *evidence for priority setting* (each theme's
evidence score, strongest first, not a ranking of risk); themes with no scores are listed apart
from the ranked ones, and themes no measure in the data evidences are "no data supplied", never low
risk. Weights, scales and bands live in params (``priorities:`` in ``params/defaults.yaml``, where
each is documented). A theme scored in part has its blank scores counted as the middle of their
scale and is marked *provisional*.

Everything here is a pure function of findings, scores and settings: nothing is displayed.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .. import formats, store
from ..config import PARAMS_DIR
from ..errors import ConfigError, InputError, did_you_mean

SCORED = "scored by the partnership"
PROVISIONAL = "provisional: some scores blank"  # blanks count as the middle of their scale
UNSCORED = "not yet scored by the partnership"  # evidence only: listed apart, never ranked
NO_DATA = "no data supplied"  # no linked measure is in this run's data: unknown, not low
RANKED = (SCORED, PROVISIONAL)
LIKELIHOOD_MAX = 4.0  # every computed evidence score runs from 0 to 4, like the judged harm scale
HARM_PARTS = ("physical", "psychological", "financial", "community", "vulnerability", "public_concern")
EVIDENCE_PARTS = ("volume", "peer_rank", "direction", "spc", "england")
SCALES = ("harm", "confidence", "organisational")
# The partnership's judged scores: the columns of its scoring file (ingest/priority_scores.py reads it,
# demo/priorities.py writes an example), each harm part's column in HARM_PARTS' order.
HARM_SCORES = ("physical_harm", "psychological_harm", "financial_harm", "community_harm", "vulnerability",
               "public_concern")
# Each judged score and the scale (key of priorities.scales) it is given on.
SCALE_OF = {**{name: "harm" for name in HARM_SCORES}, "confidence": "confidence",
            "capacity": "organisational", "capability": "organisational"}
SCORES = tuple(SCALE_OF)
MEASURE_KINDS = ("crime_type", "indicator")
# Crime and ASB sections give evidence by category; all crime first, as its categories are the types.
CRIME_SECTIONS_FIRST = ("all_crime", "asb")
TABLE_COLUMNS = ["rank", "theme", "theme_key", "risk_score", "harm", "likelihood", "confidence",
                 "organisational_position", "confidence_factor", "organisational_factor", "provisional", "status",
                 "unscored", "drivers", "measures"]
PROGRESS_COLUMNS = ["priority", "measure", "unit", "previous_period", "previous_value", "current_period",
                    "current_value", "change", "change_pct", "target", "better", "status", "previous_text",
                    "current_text", "change_text", "target_text", "reading"]


# ---- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureLink:
    """A measure named in params: a data.police.uk category ("crime_type") or a section indicator
    by its label ("indicator"); ``better`` says which way is an improvement ("" = not said)."""

    kind: str
    name: str
    better: str = ""
    target: float | None = None

    @classmethod
    def from_params(cls, entry, where: str) -> "MeasureLink":
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping such as {{crime_type: Burglary}} or "
                              f"{{indicator: Suicide rate}}, not {entry!r}")
        kinds = [k for k in MEASURE_KINDS if k in entry]
        if len(kinds) != 1 or not str(entry[kinds[0]]).strip():
            raise ConfigError(f"{where}: name the measure with exactly one of crime_type or indicator: {entry!r}")
        unknown = set(entry) - {*MEASURE_KINDS, "better", "target"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected crime_type or "
                              "indicator, and optionally better and target")
        better = str(entry.get("better") or "").strip().lower()
        if better not in ("", "higher", "lower"):
            raise ConfigError(f"{where}: better is {better!r}; expected higher or lower")
        target = entry.get("target")
        if target is not None:
            try:
                target = float(str(target).replace(",", ""))
            except ValueError:
                raise ConfigError(f"{where}: target {target!r} is not a number") from None
        return cls(kinds[0], str(entry[kinds[0]]).strip(), better, target)


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    measures: tuple[MeasureLink, ...]


@dataclass(frozen=True)
class PrioritySettings:
    """The params' ``priorities:`` block, checked. See params/defaults.yaml for each setting."""

    themes: tuple[Theme, ...]
    scales: dict  # "harm" | "confidence" | "organisational" -> (lowest, highest)
    harm_weights: dict
    likelihood_weights: dict
    volume_bands: tuple[float, ...]
    direction_bands: tuple[float, ...]
    confidence_floor: float
    organisational_weight: float

    @classmethod
    def from_params(cls, block: dict | None) -> "PrioritySettings":
        block = block or {}
        where = "params priorities"
        _no_unknown_keys(block, PRIORITY_KEYS, where)
        _no_unknown_keys(block.get("scales") or {}, SCALES, f"{where}.scales")

        def number(value, name: str) -> float:
            try:
                result = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{where}.{name}: {value!r} is not a number") from None
            if not math.isfinite(result):
                raise ConfigError(f"{where}.{name}: {value!r} is not a finite number")
            return result

        scales = {}
        for name in SCALES:
            given = (block.get("scales") or {}).get(name)
            if not isinstance(given, (list, tuple)) or len(given) != 2:
                raise ConfigError(f"{where}.scales.{name}: give [lowest, highest], e.g. [0, 4]")
            low, high = number(given[0], f"scales.{name}"), number(given[1], f"scales.{name}")
            if high <= low:
                raise ConfigError(f"{where}.scales.{name}: the highest score must be above the lowest")
            scales[name] = (low, high)

        def weights(name: str, parts: tuple[str, ...]) -> dict:
            given = block.get(name) or {}
            unknown = set(given) - set(parts)
            if unknown:
                raise ConfigError(f"{where}.{name}: unknown part(s) {', '.join(sorted(unknown))}; "
                                  f"expected {', '.join(parts)}")
            result = {part: number(given.get(part, 1), f"{name}.{part}") for part in parts}
            if any(w < 0 for w in result.values()) or not sum(result.values()):
                raise ConfigError(f"{where}.{name}: weights must be 0 or more, and not all 0")
            return result

        def bands(name: str) -> tuple[float, ...]:
            given = block.get(name)
            if not isinstance(given, (list, tuple)) or len(given) != 4:
                raise ConfigError(f"{where}.{name}: give the 4 values from which the score is 1, 2, 3 and 4")
            values = tuple(number(v, name) for v in given)
            if list(values) != sorted(values):
                raise ConfigError(f"{where}.{name}: the values must rise")
            return values

        floor = number(block.get("confidence_floor", 0.5), "confidence_floor")
        if not 0 <= floor <= 1:
            raise ConfigError(f"{where}.confidence_floor: must be from 0 to 1")
        org_weight = number(block.get("organisational_weight", 0.5), "organisational_weight")
        if not 0 <= org_weight < 2:
            raise ConfigError(f"{where}.organisational_weight: must be 0 or more and below 2")

        themes_block = block.get("themes") or {}
        if not isinstance(themes_block, dict) or not themes_block:
            raise ConfigError(f"{where}.themes: name at least one theme, each with a label and its measures")
        themes = []
        for key, spec in themes_block.items():
            spec = spec or {}
            _no_unknown_keys(spec, ("label", "measures"), f"{where}.themes.{key}")
            links = tuple(MeasureLink.from_params(entry, f"{where}.themes.{key}.measures")
                          for entry in spec.get("measures") or [])
            themes.append(Theme(str(key), str(spec.get("label") or str(key).replace("_", " ").capitalize()), links))
        return cls(tuple(themes), scales, weights("harm_weights", HARM_PARTS),
                   weights("likelihood_weights", EVIDENCE_PARTS), bands("volume_bands"), bands("direction_bands"),
                   floor, org_weight)

    def theme_key(self, text: str) -> str | None:
        """The theme a scoring file's cell names, by key or label, ignoring case, spaces and
        underscores ("Domestic abuse", "domestic_abuse"); None for no theme."""
        wanted = _simple(text)
        return next((t.key for t in self.themes if wanted in (_simple(t.key), _simple(t.label))), None)

    def midpoint(self, scale: str) -> float:
        low, high = self.scales[scale]
        return (low + high) / 2


PRIORITY_KEYS = ("scales", "harm_weights", "likelihood_weights", "volume_bands", "direction_bands", "confidence_floor",
                 "organisational_weight", "themes")


def _no_unknown_keys(block, known: tuple[str, ...], where: str) -> None:
    """A misspelt key would be ignored and its default used: refuse it, naming the nearest known key."""
    if not isinstance(block, dict):
        raise ConfigError(f"{where}: give a mapping of settings (key: value), not {block!r}")
    for key in block:
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, list(known))}")


def _simple(text) -> str:
    return " ".join(str(text).replace("_", " ").lower().split())


def check_priority_params(priorities: dict | None, previous_priorities: list | None) -> None:
    """Raise ConfigError for a malformed ``priorities`` or ``previous_priorities`` params block, so
    that a typo stops the run before any notebook runs. Absent blocks are allowed: the document
    then has no ranking or no progress to show."""
    if priorities:
        PrioritySettings.from_params(priorities)
    if previous_priorities:
        _previous_priorities(previous_priorities)


def default_priority_settings(params_dir: Path = PARAMS_DIR) -> PrioritySettings:
    """The ``priorities`` block of ``params/defaults.yaml``: what the ingest checks scoring files against."""
    path = Path(params_dir) / "defaults.yaml"
    with open(path, encoding="utf-8") as handle:
        block = (yaml.safe_load(handle) or {}).get("priorities")
    return PrioritySettings.from_params(block)


# ---- evidence from the findings ---------------------------------------------------------------


@dataclass
class Evidence:
    """One linked measure's figures, as the findings give them, and its evidence scores."""

    link: MeasureLink
    label: str
    scores: dict = field(default_factory=dict)  # evidence part -> score from 0 to 4
    texts: dict = field(default_factory=dict)  # evidence part -> the figure behind it, for readers
    records: int | None = None  # police records in the period (crime types); None for an indicator

    def likelihood(self, weights: dict) -> float | None:
        used = {part: score for part, score in self.scores.items() if weights[part] > 0}
        if not used:
            return None
        return sum(weights[p] * s for p, s in used.items()) / sum(weights[p] for p in used)


def theme_likelihood(evidence: list[Evidence], weights: dict) -> tuple[float | None, list[float]]:
    """A theme's likelihood from its measures' likelihoods, and each measure's share of it (0-1).

    Police-recorded measures (crime types, ASB) are one group, each weighted by its share of the
    group's records: a category with 2% of the theme's records moves its score by 2%, so minor
    categories do not dilute a large one (Violence: violence and sexual offences, not robbery's
    few hundred). Indicators are rates and percentages of different things, with no volume in
    common with each other or with records: each counts as much as the records group. The theme's
    likelihood is the mean over the records group and the indicators. A records group of no
    records (all categories empty) counts its categories equally.
    """
    values = [ev.likelihood(weights) for ev in evidence]
    scored = [i for i, value in enumerate(values) if value is not None]
    records = [i for i in scored if evidence[i].records is not None]
    parts = len(scored) - len(records) + (1 if records else 0)  # the records group, and each indicator
    if not parts:
        return None, [0.0] * len(evidence)
    total = sum(evidence[i].records for i in records)
    shares = [0.0] * len(evidence)
    for i in scored:
        within = (evidence[i].records / total if total else 1 / len(records)) if i in records else 1.0
        shares[i] = within / parts
    return sum(shares[i] * values[i] for i in scored), shares


def _band_score(value: float, bands: tuple[float, ...]) -> float:
    """How many of the band thresholds ``value`` reaches: 0 (below the first) to 4."""
    return float(bisect.bisect_right(bands, value))


def _crime_category(findings: dict, name: str) -> tuple[dict, dict] | None:
    """(section findings, category row) for a data.police.uk category, crime sections first."""
    order = [k for k in CRIME_SECTIONS_FIRST if k in findings] + [k for k in findings if k not in CRIME_SECTIONS_FIRST]
    for key in order:
        for row in findings[key].get("by_type") or []:
            if _simple(row.get("category")) == _simple(name):
                return findings[key], row
    return None


def _indicator(findings: dict, name: str) -> dict | None:
    for section in findings.values():
        for measure in section.get("measures") or []:
            if _simple(measure.get("measure")) == _simple(name):
                return measure
    return None


def _direction_words(change_pct: float) -> str:
    return f"up {abs(change_pct):.1f}%" if change_pct > 0 else f"down {abs(change_pct):.1f}%" if change_pct < 0 \
        else "unchanged"


def _latest_two(trend: list[dict]) -> tuple[dict, dict] | None:
    known = [t for t in trend or [] if t.get("value") is not None]
    return (known[-2], known[-1]) if len(known) >= 2 else None


def measure_evidence(findings: dict, link: MeasureLink, settings: PrioritySettings) -> Evidence | None:
    """The evidence scores of one linked measure; None when the findings do not hold it."""
    if link.kind == "crime_type":
        found = _crime_category(findings, link.name)
        if found is None:
            return None
        section, row = found
        count = row.get("count")
        evidence = Evidence(link, row["category"], records=int(count) if count is not None else None)
        worse_if_up = link.better != "higher"  # more crime is worse unless params say otherwise
        rate, months = row.get("rate_per_1000"), row.get("months") or 12
        if rate is not None:
            # The bands are for a year: a rate over a shorter period is scaled up to one.
            evidence.scores["volume"] = _band_score(rate * 12 / months, settings.volume_bands)
            over = "" if months == 12 else f" over {months} months"
            evidence.texts["volume"] = f"{formats.fmt_rate(rate)} per 1,000 residents{over}"
        rank, peers = row.get("peer_rank_by_rate"), row.get("peers") or 0
        if rank is not None and peers >= 2:
            evidence.scores["peer_rank"] = LIKELIHOOD_MAX * (peers - rank) / (peers - 1)
            evidence.texts["peer_rank"] = f"{formats.rank_words(int(rank))} rate of {peers} areas"
        if row.get("change_pct") is not None:
            change = row["change_pct"]
            evidence.scores["direction"] = _band_score(change if worse_if_up else -change, settings.direction_bands)
            compared_with = section.get("comparison_period") or "last year"
            evidence.texts["direction"] = f"{_direction_words(change)} on {compared_with}"
        if row.get("spc_variation") is not None:
            direction = row.get("spc_direction") or ""
            concern, improvement = (direction == "concern"), (direction == "improvement")
            if not worse_if_up:  # the charts treat a fall as improvement; params say a rise is here
                concern, improvement = improvement, concern
            evidence.scores["spc"] = 4.0 if concern else 0.0 if improvement else 2.0
            # The latest month's signal, as the chart titles and the summaries give it (Making Data Count)
            evidence.texts["spc"] = ("latest month special cause of concern (SPC)" if concern else
                                     "latest month special cause of improvement (SPC)" if improvement else
                                     "latest month special cause, neither concern nor improvement (SPC)" if direction
                                     else "latest month common cause (SPC)")
        return evidence

    measure = _indicator(findings, link.name)
    if measure is None:
        return None
    evidence = Evidence(link, measure["measure"])
    better = link.better or measure.get("better") or "lower"  # unsaid: a rise is taken as worse
    pair = _latest_two(measure.get("trend"))
    if pair and pair[0]["value"]:
        previous, latest = pair
        change = 100.0 * (latest["value"] - previous["value"]) / previous["value"]
        evidence.scores["direction"] = _band_score(change if better == "lower" else -change, settings.direction_bands)
        evidence.texts["direction"] = f"{_direction_words(change)} on {previous['period']}"
    comparison, national = measure.get("comparison"), measure.get("benchmark_name") or "England"
    if comparison in ("higher", "lower", "similar"):
        worse = "higher" if better == "lower" else "lower"
        evidence.scores["england"] = 2.0 if comparison == "similar" else 4.0 if comparison == worse else 0.0
        evidence.texts["england"] = (f"similar to {national}" if comparison == "similar"
                                     else f"significantly {comparison} than {national}")
    return evidence


def _drivers(evidence: list[Evidence], weights: dict, shares: list[float], limit: int = 3) -> list[str]:
    """The figures that weighed most in the likelihood (the measure's share of the theme x weight x
    score), as short sentences, the heaviest first. Volume and peer rank describe one figure, the
    rate, so they make one sentence."""
    candidates = []
    for order, (ev, share) in enumerate(zip(evidence, shares)):
        parts = {p: (share * weights[p] * ev.scores[p], ev.texts[p]) for p in EVIDENCE_PARTS
                 if p in ev.scores and weights[p] > 0}
        if "volume" in parts and "peer_rank" in parts:
            (volume, volume_text), (rank, rank_text) = parts["volume"], parts.pop("peer_rank")
            parts["volume"] = (max(volume, rank), f"{volume_text}, {rank_text}")
        for position, (part, (weighted, text)) in enumerate(parts.items()):
            candidates.append((-weighted, order, position, f"{ev.label}: {text}"))
    return [text for *_, text in sorted(candidates)[:limit]]


# ---- the assessment ----------------------------------------------------------------------------


@dataclass
class PriorityAssessment:
    """The themes (``table``, columns in TABLE_COLUMNS) and what the reader must know.

    ``table``: rank (Int64; only for themes the partnership scored, at least in part, and the
    data evidence; NA otherwise), theme (label), theme_key, risk_score (ranked themes only), harm,
    confidence, organisational_position (mean of capacity and capability), confidence_factor,
    organisational_factor (the values the formula used, a blank judged score as its scale's
    middle; None for themes not scored), likelihood (the computed evidence score, 0 to 4; None
    for no data), provisional (bool: scored in part), status (SCORED, PROVISIONAL, UNSCORED or
    NO_DATA), unscored (the judged scores left blank), drivers (up to three short sentences: the
    figures that weighed most; for NO_DATA, the measures that would evidence it), measures (one
    dict per linked measure found: measure, records, share of the theme's likelihood, score).
    Ranked themes first (highest risk first), then themes not scored (strongest evidence first),
    then those with no data (params order).
    """

    table: pd.DataFrame
    settings: PrioritySettings
    scored: bool  # the partnership's scoring file was given
    notes: list[str] = field(default_factory=list)
    position_scored: dict = field(default_factory=dict)  # theme key -> capacity and capability both judged

    @property
    def ranked(self) -> pd.DataFrame:
        return self.table[self.table["rank"].notna()]

    @property
    def unscored_themes(self) -> pd.DataFrame:
        """Themes the data evidence but the partnership has not scored: evidence only, not ranked."""
        return self.table[self.table["status"] == UNSCORED]

    @property
    def no_data(self) -> pd.DataFrame:
        return self.table[self.table["status"] == NO_DATA]

    @property
    def evidence_only(self) -> bool:
        """No theme is ranked: the partnership has scored none the data evidence, so the document
        shows evidence for priority setting, not a ranking of risk."""
        return self.ranked.empty

    @property
    def provisional(self) -> bool:
        """Some ranked theme rests partly on blank scores (counted as the middle of their scale)."""
        return bool(self.ranked["provisional"].any())


def _score(scores: pd.DataFrame | None, key: str, column: str) -> float | None:
    if scores is None or key not in scores.index or column not in scores.columns:
        return None
    value = scores.at[key, column]
    return None if pd.isna(value) else float(value)


def _checked_scores(scores: pd.DataFrame | None, settings: PrioritySettings) -> pd.DataFrame | None:
    """The scores by theme key; a theme params do not name is an input error on its row."""
    if scores is None:
        return None
    known = {t.key for t in settings.themes}
    for row in scores.itertuples():
        if row.theme not in known:
            raise InputError(getattr(row, "source_file", "priority scores"),
                             f"unknown theme {row.theme!r}; this year's params name "
                             f"{', '.join(sorted(known))}", row=getattr(row, "row", None), column="theme")
    return scores.set_index("theme")


def _judgement(theme: Theme, by_theme: pd.DataFrame | None, settings: PrioritySettings) -> dict:
    """The partnership's judgement of a theme as the formula uses it: harm, confidence,
    organisational position and their factors, with the blanks (counted as their scale's middle)."""
    unscored = []

    def judged(column: str, scale: str) -> float:
        value = _score(by_theme, theme.key, column)
        if value is None:
            unscored.append(column.replace("_", " "))
            return settings.midpoint(scale)
        return value

    weights = settings.harm_weights
    harm = sum(weights[part] * judged(column, "harm") for part, column in zip(HARM_PARTS, HARM_SCORES)) \
        / sum(weights.values())
    confidence = judged("confidence", "confidence")
    capacity, capability = judged("capacity", "organisational"), judged("capability", "organisational")
    position = (capacity + capability) / 2
    low, high = settings.scales["confidence"]
    floor = settings.confidence_floor
    confidence_factor = floor + (1 - floor) * (confidence - low) / (high - low)
    low, high = settings.scales["organisational"]
    # Higher capacity and capability raise the score: as in the Safer Maidstone Partnership's MoRiLE
    # ranking, where "how much it is felt that the partnership can influence" is a ranking factor.
    organisational_factor = 1 + settings.organisational_weight * ((position - low) / (high - low) - 0.5)
    return {"harm": harm, "confidence": confidence, "organisational_position": position,
            "confidence_factor": confidence_factor, "organisational_factor": organisational_factor,
            "unscored": unscored, "position_scored": not {"capacity", "capability"} & set(unscored)}


def assess_priorities(findings: dict[str, dict], scores: pd.DataFrame | None, settings: dict | PrioritySettings
                      ) -> PriorityAssessment:
    """Rank the themes in ``settings`` (the params' ``priorities`` block) from the run's
    ``findings`` ({section key: findings dict}, as findings.read_findings gives them) and the
    partnership's ``scores`` (the processed priority_scores table; None when there is no file)."""
    settings = settings if isinstance(settings, PrioritySettings) else PrioritySettings.from_params(settings)
    by_theme = _checked_scores(scores, settings)
    rows, notes, position_scored = [], [], {}
    for theme in settings.themes:
        evidence = []
        for link in theme.measures:
            found = measure_evidence(findings, link, settings)
            if found is None:
                notes.append(f"{theme.label}: {link.name} ({link.kind.replace('_', ' ')}) is not in this run's "
                             "findings, so it does not count.")
            elif not found.scores:
                notes.append(f"{theme.label}: {link.name} has no figure to score in this run.")
            else:
                evidence.append(found)
        likelihood, shares = theme_likelihood(evidence, settings.likelihood_weights)
        judgement = _judgement(theme, by_theme, settings)
        position_scored[theme.key] = judgement.pop("position_scored")
        unscored = judgement["unscored"]
        if likelihood is None:
            status = NO_DATA
            drivers = [link.name for link in theme.measures]  # what would evidence it
        else:
            status = (UNSCORED if len(unscored) == len(SCORES) else PROVISIONAL if unscored else SCORED)
            drivers = _drivers(evidence, settings.likelihood_weights, shares)
        if status not in RANKED:  # no judgement made: none is made for the partnership
            judgement.update(dict.fromkeys(("harm", "confidence", "organisational_position", "confidence_factor",
                                            "organisational_factor")))
        risk = (judgement["harm"] * likelihood * judgement["confidence_factor"] * judgement["organisational_factor"]
                if status in RANKED else None)
        measures = [{"measure": ev.label, "records": ev.records, "share": round(share, 4), "score": round(score, 4)}
                    for ev, share in zip(evidence, shares)
                    if (score := ev.likelihood(settings.likelihood_weights)) is not None]
        rows.append({"theme": theme.label, "theme_key": theme.key, "risk_score": risk, "likelihood": likelihood,
                     **judgement, "provisional": status == PROVISIONAL, "status": status, "drivers": drivers,
                     "measures": measures})
    table = pd.DataFrame(rows)
    risk = table["risk_score"].astype(float)
    table["rank"] = risk.rank(ascending=False, method="min").astype("Int64")
    group = table["status"].map({SCORED: 0, PROVISIONAL: 0, UNSCORED: 1, NO_DATA: 2})
    order = table.assign(_group=group, _risk=-risk.fillna(0), _evidence=-table["likelihood"].astype(float).fillna(0),
                         _order=range(len(table)))
    table = table.loc[order.sort_values(["_group", "_risk", "_evidence", "_order"]).index].reset_index(drop=True)
    for column in ("risk_score", "harm", "likelihood", "organisational_position", "confidence_factor",
                   "organisational_factor"):
        table[column] = table[column].astype(float).round(3)
    if scores is not None:
        extra = sorted(set(by_theme.index) - {t.key for t in settings.themes})
        notes += [f"Scores for {key} are not used: params name no such theme." for key in extra]
    return PriorityAssessment(table[TABLE_COLUMNS], settings, scores is not None, notes, position_scored)


def _one_decimal(value) -> str:
    return formats.NOT_AVAILABLE if formats.is_missing(value) else f"{value:.1f}"


def ranked_table_for_readers(assessment: PriorityAssessment) -> pd.DataFrame:
    """The ranked themes as text for a report table: Rank, Theme, Risk score, Harm, Likelihood,
    Confidence, Capacity and capability, What drove it (the drivers, one per line), Status.
    Themes not scored and themes with no data are not in it (see the two functions below)."""
    table = assessment.ranked
    return pd.DataFrame({
        "Rank": [formats.fmt_int(r) for r in table["rank"]],
        "Theme": table["theme"],
        "Risk score": table["risk_score"].map(_one_decimal),
        "Harm": table["harm"].map(_one_decimal),
        "Likelihood": table["likelihood"].map(_one_decimal),
        "Confidence": table["confidence"].map(_one_decimal),
        "Capacity and capability": table["organisational_position"].map(_one_decimal),
        "What drove it": table["drivers"].map("\n".join),
        "Status": table["status"].map(formats.sentence_case),
    }).reset_index(drop=True)


def evidence_table_for_readers(assessment: PriorityAssessment) -> pd.DataFrame:
    """The themes the data evidence but the partnership has not scored (every such theme when it
    has scored none), strongest evidence first: Theme, Evidence score (0-4), What the data show."""
    table = assessment.unscored_themes
    return pd.DataFrame({
        "Theme": table["theme"],
        "Evidence score (0–4)": table["likelihood"].map(_one_decimal),
        "What the data show": table["drivers"].map("\n".join),
    }).reset_index(drop=True)


def no_data_for_readers(assessment: PriorityAssessment) -> list[str]:
    """One line per theme no measure in this run's data evidences: what would evidence it."""
    return [f"{row.theme} (" + ("measures: " + "; ".join(row.drivers) if row.drivers
                                 else "no measure linked in params yet") + ")"
            for row in assessment.no_data.itertuples()]


def load_priority_scores(processed_dir: str | Path) -> pd.DataFrame | None:
    """The partnership's scores as the last ingest of the data folder stored them; None when the
    folder held no scoring file (a table another folder's ingest left behind is not used)."""
    manifest = store.read_manifest(Path(processed_dir)) or {}
    if "priority_scores" not in manifest.get("tables", []) or not store.has_table(processed_dir, "priority_scores"):
        return None
    return store.read_table(Path(processed_dir), "priority_scores")


# ---- the method, written out -------------------------------------------------------------------


def methodology_markdown(settings: dict | PrioritySettings) -> str:
    """What is computed, what is judged, the formula, the scales and weights: for the methodology notes."""
    s = settings if isinstance(settings, PrioritySettings) else PrioritySettings.from_params(settings)
    harm_low, harm_high = s.scales["harm"]
    conf_low, conf_high = s.scales["confidence"]
    org_low, org_high = s.scales["organisational"]
    hw, lw = s.harm_weights, s.likelihood_weights
    v, d = s.volume_bands, s.direction_bands

    def fmt(x: float) -> str:
        return f"{x:g}"

    harm_terms = " + ".join(f"{fmt(hw[p])} × {p.replace('_', ' ')}" for p in HARM_PARTS)
    evidence_terms = " + ".join(f"{fmt(lw[p])} × {p.replace('_', ' ')}" for p in EVIDENCE_PARTS)
    themes = "\n".join(
        f"| {t.label} | " + ("; ".join(f"{m.name}{' (higher is better)' if m.better == 'higher' else ''}"
                                      for m in t.measures) or "none yet: no data supplied") + " |"
        for t in s.themes)
    return f"""### How the priorities are ranked

The ranking follows MoRiLE (Management of Risk in Law Enforcement): themes are ranked by threat, risk and harm,
not by the number of crimes alone. The pipeline computes how strongly this assessment's figures evidence each theme
(its likelihood, or evidence score); the partnership judges the rest. Only themes the partnership has scored are
ranked. Until it has scored one, the document shows each theme's evidence score as *evidence for priority
setting*, strongest first: that is not a ranking of risk, as harm, vulnerability, public concern, confidence in the
data and the partnership's capacity to act are not yet weighed. Themes the partnership has not scored are listed
apart from the ranked ones, with their evidence score. A theme none of whose measures is in the data is shown as
*no data supplied*: the data say nothing about it, which is not the same as low risk.

**Computed by the pipeline from this assessment's figures (likelihood).** For each measure linked to a theme:

| evidence | score (0 to 4) |
|---|---|
| volume | rate per 1,000 residents a year (a shorter period scaled up to a year): 0 below {fmt(v[0])}, 1 from {fmt(v[0])}, 2 from {fmt(v[1])}, 3 from {fmt(v[2])}, 4 from {fmt(v[3])} |
| peer rank | 4 × (number of areas − rank by rate) ÷ (number of areas − 1): 4 for the highest rate, 0 for the lowest |
| direction | change on the previous year (indicators: on the previous period), a rise counted as worse unless higher is better: 0 below {fmt(d[0])}%, 1 from {fmt(d[0])}%, 2 from {fmt(d[1])}%, 3 from {fmt(d[2])}%, 4 from {fmt(d[3])}% |
| SPC | the signal of the latest month, as the SPC chart's title gives it: special cause of concern 4, common cause 2, special cause of improvement 0 |
| England | significantly worse than England 4, similar 2, significantly better 0 |

A measure's likelihood is the weighted mean of the evidence it has ({evidence_terms}, divided by the sum of the
weights used).

**A theme's likelihood** combines its measures without letting minor ones dilute a large one. Its police-recorded
measures (crime types and ASB) are weighted by their share of the theme's police records: in a theme of 14,000
violent and sexual offences and 300 robberies, the robberies count for 2% of the score, not half of it.
Indicators (health, justice and partner measures: rates and percentages of different things, with no volume in
common) each count as much as the police-recorded measures together. The theme's likelihood is the mean of the
two kinds so weighted. The table after this method gives each measure's share for this run.

**Judged by the partnership (its scoring file, one row per theme).** Physical, psychological, financial and
community harm, vulnerability and public concern, each from {fmt(harm_low)} (none) to {fmt(harm_high)} (critical);
confidence in the data from {fmt(conf_low)} (low) to {fmt(conf_high)} (high); organisational position, capacity and
capability, from {fmt(org_low)} (little) to {fmt(org_high)} (well placed to act).

**Formula.**

- harm = ({harm_terms}) ÷ {fmt(sum(hw.values()))}
- confidence factor = {fmt(s.confidence_floor)} + {fmt(1 - s.confidence_floor)} × (confidence − {fmt(conf_low)}) ÷ {fmt(conf_high - conf_low)}
- organisational factor = 1 + {fmt(s.organisational_weight)} × ((mean of capacity and capability − {fmt(org_low)}) ÷ {fmt(org_high - org_low)} − 0.5)
- **risk score = harm × likelihood × confidence factor × organisational factor**, ranked highest first.

**Direction of the organisational factor.** The better placed the partnership is to act on a theme, the higher
the theme ranks: the factor runs from {fmt(1 - s.organisational_weight / 2)} (little capacity and capability) to
{fmt(1 + s.organisational_weight / 2)} (well placed). This follows the Safer Maidstone Partnership's plan
2017-18, whose MoRiLE ranking counts "how much it is felt that the partnership can influence" among its factors
and left road safety out of its priorities partly because the partnership has "no capacity or jurisdiction" there. The
risk-against-capacity chart shows the other reading: a theme high on risk but low on capacity (top left) is one
the partnership should raise with those who can act.

A judged score left blank counts as the middle of its scale and marks the theme *provisional*; a theme with every
score blank is not yet scored and is not ranked. Weights, scales and bands are set in params (`priorities:`).

| theme | measures that evidence it |
|---|---|
{themes}
"""


def evidence_workings(assessment: PriorityAssessment) -> pd.DataFrame:
    """How each theme's evidence score was worked out in this run, one row per measure found:
    Theme, Measure, Police records, Share of the theme's score, Measure's score, Theme's score
    (the theme's score on its first row only)."""
    rows = []
    for theme in assessment.table.itertuples():
        for i, measure in enumerate(theme.measures):
            records = measure["records"]
            rows.append({"Theme": theme.theme if i == 0 else "", "Measure": measure["measure"],
                         "Police records": "indicator" if records is None else formats.fmt_int(records),
                         "Share of the theme's score": formats.fmt_pct(100 * measure["share"]),
                         "Measure's score": f"{measure['score']:.2f}",
                         "Theme's score": _one_decimal(theme.likelihood) if i == 0 else ""})
    return pd.DataFrame(rows, columns=["Theme", "Measure", "Police records", "Share of the theme's score",
                                       "Measure's score", "Theme's score"])


# ---- progress on last year's priorities --------------------------------------------------------


def _previous_priorities(previous: list | tuple) -> list[tuple[str, list[MeasureLink]]]:
    parsed = []
    for i, entry in enumerate(previous or []):
        where = f"params previous_priorities[{i}]"
        if not isinstance(entry, dict) or not str(entry.get("priority") or "").strip():
            raise ConfigError(f"{where}: give the priority's name (priority:) and its measures (measures:)")
        _no_unknown_keys(entry, ("priority", "measures"), where)
        links = [MeasureLink.from_params(m, f"{where}.measures") for m in entry.get("measures") or []]
        parsed.append((str(entry["priority"]).strip(), links))
    return parsed


def _change_parts(previous: float, current: float, unit: str) -> list[str]:
    """The change as readers see it: ['+0.2 percentage points'] for percentages (a percentage
    change of a percentage confuses), else the difference and, where defined, the % change."""
    difference = current - previous
    if unit == "%":
        return [f"{difference:+.1f} percentage points"]
    amount = f"{int(round(difference)):+,}" if unit == "count" else f"{difference:+,.1f}"
    return [amount] + ([formats.fmt_pct(100.0 * difference / previous, signed=True)] if previous else [])


def progress_on_priorities(findings: dict[str, dict], previous_priorities: list | tuple) -> pd.DataFrame:
    """One row per previous priority and linked measure (params ``previous_priorities``):
    previous and current value with their periods, change, target, met / not met / no target,
    and a one-line reading. Columns: PROGRESS_COLUMNS; status is "met", "not met", "no target"
    "not judged" (a target but no direction) or "not available" (the measure is not in the findings)."""
    rows = []
    for priority, links in _previous_priorities(previous_priorities):
        for link in links:
            rows.append({"priority": priority, **_progress_row(findings, link)})
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def progress_table_for_readers(progress: pd.DataFrame) -> pd.DataFrame:
    """Progress as text for a report table: Priority, Measure, Previous, Current, Change, Target,
    Status (previous and current with their periods; "–" where there is none)."""
    def with_period(text, period) -> str:
        return "–" if text is None or formats.is_missing(text) else f"{text} ({period})"

    return pd.DataFrame({
        "Priority": progress["priority"],
        "Measure": progress["measure"],
        "Previous": [with_period(t, p) for t, p in zip(progress["previous_text"], progress["previous_period"])],
        "Current": [with_period(t, p) for t, p in zip(progress["current_text"], progress["current_period"])],
        "Change": progress["change_text"].fillna("–"),
        "Target": progress["target_text"].fillna("–"),
        "Status": progress["status"].str.capitalize(),
    })


def _progress_row(findings: dict, link: MeasureLink) -> dict:
    row = dict.fromkeys(PROGRESS_COLUMNS[1:], None)
    row.update(measure=link.name, target=link.target, better=link.better or None)
    if link.kind == "crime_type":
        found = _crime_category(findings, link.name)
        if found is not None:
            section, category = found
            row.update(measure=category["category"], unit="count", previous_period=section.get("comparison_period"),
                       previous_value=category.get("previous_count"), current_period=section.get("period"),
                       current_value=category.get("count"), better=link.better or "lower")
    else:
        measure = _indicator(findings, link.name)
        if measure is not None:
            pair = _latest_two(measure.get("trend"))
            latest = pair[1] if pair else {"period": measure.get("period"), "value": measure.get("value")}
            row.update(measure=measure["measure"], unit=measure.get("unit") or "", current_period=latest["period"],
                       current_value=latest["value"], better=link.better or measure.get("better") or None,
                       target=link.target if link.target is not None else measure.get("target"))
            if pair:
                row.update(previous_period=pair[0]["period"], previous_value=pair[0]["value"])
    unit = row["unit"] or ""
    label, current, previous = row["measure"], row["current_value"], row["previous_value"]
    if current is None:
        row.update(status="not available", reading=f"{label}: not in this run's figures, so progress cannot be shown.")
        return row
    row["current_text"] = formats.fmt_value(current, unit)
    if previous is not None:
        row["previous_text"] = formats.fmt_value(previous, unit)
        row["change"] = current - previous
        row["change_pct"] = 100.0 * (current - previous) / previous if previous else None
        parts = _change_parts(previous, current, unit)
        row["change_text"] = ("unchanged" if row["previous_text"] == row["current_text"]
                              else parts[0] + (f" ({parts[1]})" if len(parts) > 1 else ""))
        row["_change_clause"] = ", ".join(parts)
    if row["target"] is None:
        row["status"] = "no target"
    elif row["better"] is None:
        row["status"] = "not judged"  # a target without a direction: met / not met cannot be told
    else:
        met = current >= row["target"] if row["better"] == "higher" else current <= row["target"]
        row["status"] = "met" if met else "not met"
    if row["target"] is not None:
        row["target_text"] = formats.fmt_value(row["target"], unit)
    row["reading"] = _reading(row)
    row.pop("_change_clause", None)
    return row


def _reading(row: dict) -> str:
    """'Burglary fell from 1,636 in Apr 15 – Mar 16 to 1,500 in Apr 16 – Mar 17 (-8.3%); target
    1,600: met.' — 'unchanged at' when the two values read the same at the precision shown."""
    label = row["measure"]
    if row["previous_text"] is None:
        sentence = f"{label} was {row['current_text']} in {row['current_period']}; no earlier figure to compare"
    elif row["previous_text"] == row["current_text"]:
        sentence = (f"{label} was unchanged at {row['current_text']} "
                    f"({row['previous_period']} to {row['current_period']})")
    else:
        verb = "rose" if row["change"] > 0 else "fell"
        sentence = (f"{label} {verb} from {row['previous_text']} in {row['previous_period']} to {row['current_text']} "
                    f"in {row['current_period']} ({row['_change_clause']})")
    if row["status"] in ("met", "not met"):
        sentence += f"; target {row['target_text']} ({row['better']} is better): {row['status']}"
    elif row["target"] is not None:
        sentence += f"; target {row['target_text']}, but params do not say whether higher or lower is better"
    return sentence + "."
