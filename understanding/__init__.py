"""Language in, structured question out: no Bot Framework, no database.

`Understander.understand(text, catalog, today, context)` reads a question against what the
organisation's data contains (the `Catalog`) and returns a `Question`. The vocabulary of each
language is data (`lexicon/<lang>.json`), not code.
"""
