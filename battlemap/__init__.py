"""Battlemap: a poverty-alleviation battle map (挂图作战) for registered poor households."""

__version__ = "0.1.0"
