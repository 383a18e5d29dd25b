"""``python -m codingkg``: the ``codingkg`` command line."""

from codingkg.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
