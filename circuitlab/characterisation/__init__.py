"""Analyses of characterisation campaigns: read campaign HDF5 files, compute the seed figures, plot."""
