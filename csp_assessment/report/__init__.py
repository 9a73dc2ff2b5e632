"""Display only, no computation: charts, maps, sentences, the partnership's words, exports and the reviewers' document."""
