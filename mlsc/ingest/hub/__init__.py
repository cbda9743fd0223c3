"""The Hugging Face Hub as a source: a snapshot file or a live crawl, one record mapping.

- :mod:`.snapshot`: a JSON Lines dump of the Hub's model listing, in bulk;
- :mod:`.crawl`: the live Hub through ``huggingface_hub`` (frontier, journal);
- :mod:`.client` (the polite HTTP client), :mod:`.fetch` (one model's facts),
  :mod:`.model` (THE mapping of a Hub model record to graph records), :mod:`.lineage`
  (declared bases), :mod:`.options` (what to crawl, and what the crawl did).
"""
