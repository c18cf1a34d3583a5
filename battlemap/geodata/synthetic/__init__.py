"""Synthetic demo data: townships and villages inside real counties, and households in them.

Everything here is deterministic by seed and labelled synthetic in the manifest and the UI.
"""
