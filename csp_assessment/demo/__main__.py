"""``python -m csp_assessment.demo OUT_DIR``: write the synthetic demonstration data set."""

from . import main

main()
