"""``python -m mer_classic`` runs the command-line interface."""

from mer_classic.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main()
