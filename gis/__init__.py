"""Takara Map (宝物マップ): coordinators' records → treasure-map website, printed maps and open data."""

__version__ = "0.1.0"
