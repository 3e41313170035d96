"""`python -m fake_services serve`: run the sandbox standalone."""

from fake_services.cli import main

raise SystemExit(main())
