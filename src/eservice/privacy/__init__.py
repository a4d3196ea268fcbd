"""Data protection duties that span the contexts: retention, erasure, export, audit.

This package orchestrates; each context forgets and exports its own rows and files behind one
function (``<context>.retention``), so that a new table is handled next to where it is made.
"""
