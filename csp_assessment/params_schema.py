"""What params files may hold: the one statement of every key of ``params/defaults.yaml`` and
``params/<year>.yaml``, its type, its allowed values and its default (pydantic models).

A params file is read (:func:`read_params_file`) with limits, then checked here before anything
runs: an unknown key is refused with the nearest known key suggested (a misspelt key would
otherwise be ignored and its default used, silently); values are taken only as their own type
(``peers: E07000110`` is text, not a list, and ``screen_outliers: "false"`` is text, not a
boolean: both refused rather than read as five one-letter peers or as true); periods are
``"YYYY-MM"``; numbers are finite and in range. Every refusal is a :class:`ConfigError` naming the
file and the key, with what was expected.

Two blocks are checked where their meaning is known, by ``sections.check_config`` before anything
runs: ``sections`` (the keys the section modules declare) and ``priorities`` /
``previous_priorities`` (stats/priorities.py). Here they are only given their shape.

The comments of ``params/defaults.yaml`` say the same as the descriptions here, and its values
are these defaults: tests/test_trust_part3.py checks that they stay in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .errors import ConfigError, did_you_mean

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
AREA_CODE_PATTERN = r"(?i)^[EW](06|07|08|09|22)\d{6}$"  # local authority (E06-E09, W06) or CSP (E22/W22)

# A params file is a page of settings: these limits refuse what is not one before it costs anything.
MAX_PARAMS_BYTES = 1_000_000
MAX_YAML_DEPTH = 50

Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
AreaCode = Annotated[str, StringConstraints(pattern=AREA_CODE_PATTERN, to_upper=True)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]
FilePattern = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Block(BaseModel):
    # strict: YAML gives every value its own type, and none is converted into another (text is never
    # a list, a number or a boolean); forbid: a key the schema does not know is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AreaParams(_Block):
    name: str = Field("", description="the area's name as the report prints it (default: from the ONS lookups)")
    codes: list[AreaCode] = Field([], description="ONS local authority code(s), or one Community Safety "
                                                  "Partnership code (--area replaces them)")
    police_force: str = Field("", description="the police force, as the report names it")
    partnership: str = Field("", description="the Community Safety Partnership's name")


class PeriodParams(_Block):
    model_config = ConfigDict(populate_by_name=True)
    start: Month | None = Field(None, alias="from", description='first month of the assessment period, "YYYY-MM"')
    end: Month | None = Field(None, alias="to", description='last month of the assessment period, "YYYY-MM"')


class UnplacedRecordsParams(_Block):
    warn_pct: Percent = Field(0.5, description="above this share (%) of the area's candidate police records "
                                               "that no lookup can place, the headline and run log say so")
    stop_pct: Percent = Field(5.0, description="above this share (%) the run stops instead of printing a wrong "
                                               "headline")


class PoliceOutcomesParams(_Block):
    drug_charge_target_pct: Percent | Literal["increase"] | None = Field(
        None, description='the substance misuse section\'s target for drug offences charged or summonsed, as a % '
                          'of those with an outcome: a percentage, "increase" (above the comparison period), or null')


class SpcParams(_Block):
    rebase: list[Month] = Field([], description='months where a new baseline starts ("step changes"), "YYYY-MM"')
    fix_after: Annotated[int, Field(ge=2)] | None = Field(
        None, description="fix the limits after this many months (null = every month of each group)")
    screen_outliers: bool = Field(True, description="leave out very large moving ranges (NHSRplotthedots); "
                                                    "false = NHS Excel tool")
    targets: dict[str, Number] = Field({}, description="monthly targets by series name, e.g. "
                                                       '{"All crime": 1900}; a target adds the assurance summary')


class Params(_Block):
    """Every key a params file may hold (defaults.yaml and a year's file, the year's keys replacing
    the defaults' whole: a year's ``spc:`` block replaces the defaults' ``spc:`` block)."""

    year: int | None = Field(None, description="the assessment year; a year's file names its own year")
    title: str | None = Field(None, description='the document\'s title (default "Community Safety Strategic '
                                                'Assessment <year>")')
    area: AreaParams = Field(AreaParams(), description="the area assessed")
    period: PeriodParams = Field(PeriodParams(), description="the assessment period (--from and --to replace it)")
    population_year: Annotated[int, Field(ge=1981, le=2100)] | None = Field(
        None, description="ONS mid-year estimate behind rates per 1,000 residents (default: the year before the "
                          "period ends)")
    data_dir: str = Field("data/raw", description="where the publishers' files are dropped, unchanged")
    processed_dir: str = Field("data/processed", description="tidy Parquet tables written by the ingest step")
    out_dir: str = Field("reports", description="reports/<year>/ is written here")
    comparison_months_back: Annotated[int, Field(ge=1, le=120)] = Field(
        12, description="comparison period = assessment period shifted back this many months")
    trend_periods: Annotated[int, Field(ge=2, le=20)] = Field(
        5, description="general trend: this many 12-month periods ending with the assessment period")
    top_wards: Annotated[int, Field(ge=1)] = Field(5, description="hotspots: how many wards to list")
    suppression_threshold: Annotated[int, Field(ge=0)] = Field(
        5, description='ward counts from 1 to threshold - 1 show as "<threshold" in reviewers\' outputs')
    peers: list[AreaCode] | None = Field(None, description="local authority codes to compare with; null = every "
                                                           "local authority present in the ingested data")
    unplaced_records: UnplacedRecordsParams = Field(UnplacedRecordsParams(), description="police records whose "
                                                                                         "LSOA no lookup can place")
    police_outcomes: PoliceOutcomesParams = Field(PoliceOutcomesParams(), description="police outcomes settings")
    sections: list[str] = Field([], description="sections in run order: keys declared by the modules of "
                                                "csp_assessment/sections/")
    narrative_dir: str | None = Field(None, description="the partnership's own words: a folder of Markdown files "
                                                        "(null = the folder named narrative in the data folder)")
    introduction: str = Field("", description="a paragraph the document's computed introduction adds, when the "
                                              "partnership has written no introduction.md")
    partnership_members: str = Field("", description="who the partnership brings together, for the computed "
                                                     "introduction")
    contact: str | None = Field(None, description="who to ask about the figures, on the tables workbook's cover "
                                                  "(null: the cover names the partnership only)")
    skip_files: list[FilePattern] = Field([], description="files of the data folder to leave out of the run (names "
                                                          "or paths in it, shell patterns allowed)")
    prefer_files: list[FilePattern] = Field([], description="where two files give the same figure, the one to use "
                                                            "(names or paths in the data folder, shell patterns allowed)")
    spc: SpcParams = Field(SpcParams(), description="SPC (XmR) charts of the monthly series")
    priorities: dict[str, Any] | None = Field(None, description="priority scoring (checked by stats/priorities.py)")
    previous_priorities: list[Any] | None = Field(None, description="last year's priorities and their measures "
                                                                    "(checked by stats/priorities.py)")


# ------------------------------------------------------------------------------ reading


class _LimitedLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (``*name``: a few lines of them expand into billions of
    values, the "billion laughs") and with a limit on nesting (deep nesting exhausts the parser's stack)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed in "
                              "params; write the value out")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise ConfigError(f"line {self.peek_event().start_mark.line + 1}: settings nested more than "
                                  f"{MAX_YAML_DEPTH} deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_params_file(path: Path) -> dict:
    """A params file's settings, read with limits: size, no aliases, nesting; a mapping at the top."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PARAMS_BYTES:
            raise ConfigError(f"{path}: {size:,} bytes; a params file is at most {MAX_PARAMS_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = yaml.load(text, Loader=_LimitedLoader)
    except ConfigError as exc:
        raise ConfigError(f"{path}, {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (key: value lines) at the top level")
    return data


# ------------------------------------------------------------------------------ checking


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the schema knows at ``loc`` (a path of keys, the last one the unknown key itself)."""
    for key in loc[:-1]:
        field = next((f for name, f in model.model_fields.items() if key in (name, f.alias)), None)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [field.alias or name for name, field in model.model_fields.items()]


# What a value of the wrong type should have been, by pydantic's error type.
_WANTED = {"list_type": "a list, e.g. [a, b] (one item: [a])", "bool_type": "true or false, without quotes",
           "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
           "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
           "string_type": "text (in quotes if it looks like a number or a date)",
           **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), "a mapping of settings (key: value)")}
# The same, shorter, for a value that fits none of a union's branches ("a number or 'increase'").
_BRANCH_WORDS = {"float_type": "a number", "int_type": "a whole number", "list_type": "a list",
                 "bool_type": "true or false", "string_type": "text", "dict_type": "a mapping"}
_IN_RANGE_BUT_WRONG = ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "finite_number",
                       "string_pattern_mismatch")


def _key_path(loc: tuple) -> tuple:
    """The keys as the user wrote them: without pydantic's names for a union's branches
    ('constrained-float', "literal['increase']") and without list positions (the value is quoted)."""
    return tuple(part for part in loc if isinstance(part, str) and not part.startswith(("constrained-", "literal[",
                 "function-")) and part not in ("int", "float", "str", "bool", "none"))


def _message(error: dict, model: type[BaseModel]) -> str:
    loc = _key_path(error["loc"])
    where = ".".join(loc) or "(top level)"
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key '{where}'{did_you_mean(loc[-1], _known_keys(model, loc))}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == MONTH_PATTERN:
        return f'{where}: {value!r} is not a month; give months as "YYYY-MM" (in quotes), e.g. "2016-04"'
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == AREA_CODE_PATTERN:
        return (f"{where}: {value!r} is not an ONS local authority code (E06/E07/E08/E09/W06 + 6 digits) or "
                "Community Safety Partnership code (E22/W22 + 6 digits)")
    if kind in _WANTED:
        return f"{where}: give {_WANTED[kind]}, not {_describe(value)}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = {"greater_than_equal": f"at least {ctx.get('ge')}", "less_than_equal": f"at most {ctx.get('le')}",
                 "greater_than": f"above {ctx.get('gt')}", "less_than": f"below {ctx.get('lt')}"}[kind]
        return f"{where}: {value!r} is out of range; give a value {bound}"
    return f"{where}: {error['msg']} (given {_describe(value)})"


def _union_message(errors: list[dict]) -> str:
    """One message for a value that matched none of a union's branches (a percentage or "increase")."""
    where = ".".join(_key_path(errors[0]["loc"]))
    wanted = [_BRANCH_WORDS.get(e["type"]) or (e.get("ctx") or {}).get("expected") or e["msg"] for e in errors]
    return f"{where}: give {' or '.join(dict.fromkeys(wanted))}, not {_describe(errors[0].get('input'))}"


def check_params(settings: dict, origin: dict[str, Path]) -> Params:
    """``settings`` (defaults and the year's file merged) checked against :class:`Params`; ``origin``
    gives the file each top-level key came from, to name it. Raises ConfigError naming file and key."""
    try:
        return Params.model_validate(settings)
    except ValidationError as exc:
        # A union (a percentage or "increase") gives one error per branch, at the same place.
        by_place: dict[tuple, list[dict]] = {}
        for error in exc.errors(include_url=False):
            by_place.setdefault((_key_path(error["loc"]), repr(error.get("input"))), []).append(error)
        messages = []
        for errors in by_place.values():
            # a branch whose type fitted says what is wrong with the value (out of range, not a month)
            fitted = [e for e in errors if e["type"] in _IN_RANGE_BUT_WRONG]
            text = _message((fitted or errors)[0], Params) if fitted or len(errors) == 1 else _union_message(errors)
            key = errors[0]["loc"][0] if errors[0]["loc"] else ""
            messages.append(f"{origin.get(str(key), 'params')}: {text}")
        more = f" (and {len(messages) - 1} more: fix this one first)" if len(messages) > 1 else ""
        raise ConfigError(messages[0] + more) from None
