"""Community Safety Partnership Strategic Assessment pipeline.

Stages, one module (or subpackage) each:
ingest (publishers' raw files -> tidy tables), geography (areas, wards, population),
measures (level, rate, change, trend, seasonality, breakdown, hotspots), spc,
charts, narrative, findings, execute (papermill), export (HTML/PDF), run (orchestration).
"""

__version__ = "0.1.0"
