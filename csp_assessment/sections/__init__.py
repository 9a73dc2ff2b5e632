"""The assessment's sections: one module per kind of section, found here by the run and the notebooks.

A section module in this package declares

- ``SPECS``: one :class:`SectionSpec` per section it serves (key, notebook, title, which records), and
- ``SECTION_CLASS``: the class a notebook's cells call (a subclass of :class:`base.Section`),

and nothing else needs to know about it: ``SECTIONS`` (every section by key), ``open_section``
(what a notebook calls) and the run (which runs the keys listed in params' ``sections:``, in that
order) all find it here. Adding a section is one notebook, one module here, its loader in
``ingest/``, its demo writer in ``demo/`` and its key in params.

Modules are imported when ``SECTIONS`` is first read, not when this package is imported: the
section modules import the config, which validates params' section keys against ``SECTIONS``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

NOT_SECTION_MODULES = {"base"}


@dataclass(frozen=True)
class SectionSpec:
    key: str
    notebook: str  # file name in notebooks/
    title: str
    # Which records the section measures: police.uk "crime" or "asb"; sections whose figures come
    # from several publishers name themselves.
    record_kind: str


class _Registry(Mapping):
    """Every section by key, in the order of the modules' names and of their SPECS."""

    def __init__(self) -> None:
        self._specs: dict[str, SectionSpec] | None = None
        self._classes: dict[str, type] = {}

    def _load(self) -> dict[str, SectionSpec]:
        if self._specs is None:
            specs: dict[str, SectionSpec] = {}
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
                if info.name in NOT_SECTION_MODULES or info.name.startswith("_"):
                    continue
                module = importlib.import_module(f"{__name__}.{info.name}")
                for spec in getattr(module, "SPECS", ()):
                    if spec.key in specs:
                        raise RuntimeError(f"section key {spec.key!r} is declared twice (sections/{info.name}.py)")
                    specs[spec.key] = spec
                    self._classes[spec.key] = module.SECTION_CLASS
            self._specs = specs
        return self._specs

    def __getitem__(self, key: str) -> SectionSpec:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def section_class(self, key: str) -> type:
        self._load()
        return self._classes[key]


SECTIONS = _Registry()


def open_section(key: str, *, year: int = 2017, area=None, data_dir=None, period_from=None, period_to=None,
                 processed_dir=None, out_dir=None, run_tables: str | None = None):
    """Open a section as the pipeline would run it (what each notebook's first cell calls).

    In a pipeline run, ``run_tables`` is the fingerprint of the processed tables the run ingested:
    the section reads those tables as they are, and refuses others. It never reads the data folder
    again, so a file replaced while the run goes on cannot give one report two sets of figures.
    Opened outside a run (JupyterLab), the data folder is ingested first if it changed, holding the
    processed folder's run lock (runlock.py): never under a run that is using those tables."""
    from ..config import load_config
    from ..ingest.folder import prepare_data, tables_of_run
    from ..runlock import exclusive_run
    from .base import use_vector_charts

    use_vector_charts()
    config = load_config(year, area=area, data_dir=data_dir, period_from=period_from, period_to=period_to,
                         processed_dir=processed_dir, out_dir=out_dir)
    if run_tables:
        ingest = tables_of_run(config, run_tables)
    else:
        with exclusive_run({"processed tables": config.processed_dir}, print):
            ingest = prepare_data(config)
    return SECTIONS.section_class(key)(SECTIONS[key], config, ingest)
