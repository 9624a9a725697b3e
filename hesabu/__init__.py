"""Hesabu: offline-first data collection for community-led settlement profiling."""

__version__ = "0.1.0"
