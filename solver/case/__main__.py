"""``python -m solver.case reference > docs/case_reference.md`` regenerates the key reference."""

from solver.case.reference import main

raise SystemExit(main())
