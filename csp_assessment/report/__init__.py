"""The outputs a run assembles from its sections: the exports (HTML, PDF, index), the reviewers'
document, the priorities' pages and the workbook of tables. Above sections/: it reads what the
sections recorded and never recomputes a figure."""
