"""``python -m mer_classic.features``: print the feature table (``docs/features.md``)."""

import sys

from mer_classic.features._names import feature_table_markdown

sys.stdout.write(feature_table_markdown())
