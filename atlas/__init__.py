"""Atlas: offline digital-evidence timeline analysis for stalking investigations.

The package is laid out in the order the data flows: ``parsers`` (outside this
package) read sources, :mod:`atlas.normalise` turns their rows into the one event
schema of :mod:`atlas.model`, :mod:`atlas.store` keeps the case, and the analysis
packages (identity, graph, conduct) read from the store.
"""

__version__ = "0.1.0"
