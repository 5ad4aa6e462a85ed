"""The engine: network spec -> torch module, training, freezing, feature cache, evaluation, weights I/O.

Import the submodules directly (`from graft.engine.train import train`); this package imports nothing itself
so that `graft.engine.weights` stays cheap to import.
"""
