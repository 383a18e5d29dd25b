"""Fixtures for the command-line tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """Every logger's handlers, level and propagation restored after the test.

    ``codingkg serve`` run in process applies the server's logging configuration, whose
    handlers hold the ``sys.stderr`` of that moment: the test's captured stream, closed once
    the test ends. A later test on the same worker that logs would then print a logging error
    into its own captured output.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict))]
    saved = [(logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled) for logger in loggers]
    yield
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled
