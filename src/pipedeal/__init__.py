"""pipedeal: the life of a PIPE deal, every figure traced to its clause."""

__version__ = "0.1.0"
