"""Click front end, installed as ``mer_classic.cli`` (see setup.cfg)."""
