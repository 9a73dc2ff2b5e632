"""Community Safety Partnership Strategic Assessment pipeline.

Stages, one module (or subpackage) each:
ingest (publishers' raw files -> tidy tables), geography (areas, wards, population),
measures (level, rate, change, trend, seasonality, breakdown, hotspots), spc,
charts, narrative, findings, execute (papermill), export (HTML/PDF), run (orchestration).
"""

__version__ = "0.1.0"

import sys as _sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax when it is installed
# (JupyterLab's dependencies bring it) only to check "iri" formats no notebook schema uses; building
# that module's grammar takes 2-3 s in every process that reads a notebook: the run, each Dask
# worker, each export. Marking it absent makes jsonschema skip those two format checks.
_sys.modules.setdefault("rfc3987_syntax", None)
