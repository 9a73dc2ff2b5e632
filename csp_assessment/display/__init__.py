"""How a section shows its figures, with no computation: one chart style, charts and maps, sentences
and number formats, data shown as text, the partnership's own words, and the records a section
leaves (its findings, its tables as data) for the document and the workbook."""
