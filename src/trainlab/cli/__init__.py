"""Command-line entry points; ``scripts/*.py`` call these. Kept free of heavy imports."""
