"""Community Safety Partnership Strategic Assessment pipeline.

Rooms on floors, imports only downhill (docs/architecture.md): the ground (errors, config, store,
...); stats/ (the figures); ingest/ (reads the publishers' files) beside demo/ (writes them);
geography, inputs and fetch/ (the data folder); display/ (charts, words, tables); sections/ (what a
notebook calls); report/ (exports, the document, the workbook); run.py, execute.py and engine.py on top.
"""

__version__ = "0.1.0"

import sys as _sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax when it is installed
# (JupyterLab's dependencies bring it) only to check "iri" formats no notebook schema uses; building
# that module's grammar takes 2-3 s in every process that reads a notebook: the run, each Dask
# worker, each export. Marking it absent makes jsonschema skip those two format checks.
_sys.modules.setdefault("rfc3987_syntax", None)
