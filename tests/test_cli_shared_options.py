"""Options that several commands share are declared once, in cli/_options.py."""

from __future__ import annotations

import re
from pathlib import Path

from mer_classic.cli.train import train, train_dynamic

CLI = Path(__file__).resolve().parents[1] / "cli"
SHARED = ("--cv", "--repeats", "--seed", "--grid/--no-grid", "--jobs")


def test_shared_options_are_declared_only_in_the_options_module():
    for path in CLI.glob("*.py"):
        if path.name == "_options.py":
            continue
        text = path.read_text()
        for flag in SHARED:
            assert not re.search(rf'"{re.escape(flag)}"', text), (
                f"{path.name} declares {flag} itself; use the factory in "
                "cli/_options.py"
            )


def test_train_and_train_dynamic_share_the_option_definitions():
    def opts(cmd):
        return {p.name: p for p in cmd.params}

    a, b = opts(train), opts(train_dynamic)
    for name in ("cv", "repeats", "seed", "grid"):
        assert name in a and name in b
        for p in (a[name], b[name]):
            assert p.default == a[name].default
            assert type(p.type) is type(a[name].type)
            assert getattr(p.type, "min", None) == getattr(a[name].type, "min", None)
    assert a["seed"].help == b["seed"].help and a["seed"].help
    assert a["grid"].help == b["grid"].help
