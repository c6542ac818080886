"""Data layer: models, queries, import. Plain Python, no Bot Framework imports."""
