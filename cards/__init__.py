"""Adaptive Cards 1.5 as pure functions: data in, card dict out. No SDK imports."""
