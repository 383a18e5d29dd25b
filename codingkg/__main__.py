"""``python -m codingkg``: the ``codingkg`` command line."""

from codingkg.cli import run

if __name__ == "__main__":
    run()
