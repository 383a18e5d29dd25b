"""The ``codingkg`` command line: the outermost layer, over the engine (``kg``) and the API (``server``)."""

__all__: list[str] = []
