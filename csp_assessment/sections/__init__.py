"""The assessment's sections: one module per kind of section, found by the run and the notebooks.

A section module in this package declares

- ``SPECS``: one :class:`SectionSpec` per section it serves (key, notebook, title, which records), and
- ``SECTION_CLASS``: the class a notebook's cells call (a subclass of :class:`base.Section`),

and nothing else needs to know about it: ``SECTIONS`` (every section by key, registry.py),
``open_section`` (what a notebook calls) and the run (which runs the keys listed in params'
``sections:``, in that order) all find it here. Adding a section is one notebook, one module here,
its loader in ``ingest/``, its demo writer in ``demo/`` and its key in params.

``check_config`` checks a config's params against what only the package knows: every section key
names a section, and the priorities blocks are well formed (stats/priorities.py). The run and
``open_section`` call it; config.py itself knows params only.
"""

from __future__ import annotations

from ..config import RunConfig, load_config
from ..errors import ConfigError
from ..ingest.folder import tables_of_run
from ..inputs import prepare_inputs
from ..runlock import exclusive_run
from ..stats.priorities import check_priority_params
from .base import use_vector_charts
from .registry import SECTIONS, SectionSpec, _Registry, section_titles  # noqa: F401 (the package's names)


def check_config(config: RunConfig) -> RunConfig:
    """``config`` if every section it names exists and its priorities blocks are well formed;
    ConfigError otherwise, naming the flag or the params file, before anything runs."""
    where = "--sections" if config.sections_flag else f"{config.year}.yaml sections"
    # The sections to execute first (from the flag, or params), then any other params names.
    for given, named in ((config.sections, where), (config.document_sections, f"{config.year}.yaml sections")):
        unknown = [s for s in given if s not in SECTIONS]
        if unknown:
            raise ConfigError(f"{named}: unknown section(s) {unknown}; sections that exist: "
                              + ", ".join(f"{key} ({spec.title})" for key, spec in SECTIONS.items()))
    check_priority_params(config.priorities, config.previous_priorities)
    return config


def open_section(key: str, *, year: int = 2017, area=None, data_dir=None, period_from=None, period_to=None,
                 processed_dir=None, out_dir=None, run_tables: str | None = None):
    """Open a section as the pipeline would run it (what each notebook's first cell calls).

    In a pipeline run, ``run_tables`` is the fingerprint of the processed tables the run ingested:
    the section reads those tables as they are, and refuses others. It never reads the data folder
    again, so a file replaced while the run goes on cannot give one report two sets of figures.
    Opened outside a run (JupyterLab), the data folder is ingested first if it changed (the demo data
    made first on a fresh clone, as a run would: inputs.py), holding the processed folder's run lock
    (runlock.py): never under a run that is using those tables."""
    use_vector_charts()
    config = check_config(load_config(year, area=area, data_dir=data_dir, period_from=period_from,
                                      period_to=period_to, processed_dir=processed_dir, out_dir=out_dir))
    if run_tables:
        ingest = tables_of_run(config, run_tables)
    else:
        with exclusive_run({"processed tables": config.processed_dir}, print):
            ingest = prepare_inputs(config)
    return SECTIONS.section_class(key)(SECTIONS[key], config, ingest)
