"""Placeholder: commands of this module are added by their issue."""

from __future__ import annotations

COMMANDS: list = []
