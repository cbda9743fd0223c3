"""mlsc: a knowledge base of the machine-learning supply chain.

    >>> from mlsc.graph import open_store
    >>> from mlsc.queries import blast_radius
    >>> with open_store() as store:                      # doctest: +SKIP
    ...     result = blast_radius(store, "mistralai/Mistral-7B-v0.1")
    ...     print(result.count, result.downloads)

Models, their derivations, maintainers, organisations, commits and files form a property
graph; `mlsc.queries` answers lineage, blast radius and reach over it.
"""

__version__ = "0.1.0"
