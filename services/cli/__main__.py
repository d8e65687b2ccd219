"""`python -m services.cli`: the same as the `vocals` console script."""

from services.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
