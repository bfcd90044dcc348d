"""Analyses: pure functions from a projected trust graph (plus parameters) to plain data.

Each module covers one family (vouching chains, group acceptance, reputation, contagion, ...). They
never print, read files or modify the graph they are given; the CLI formats what they return.
"""
