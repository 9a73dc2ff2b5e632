"""The figures, with no display: measures, SPC, intervals and the priority scoring. Pure functions of tidy frames."""
