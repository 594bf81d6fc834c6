"""Corpora in: the formats (``kinetics``, ``video2gif``; the sample's reader lives in
``gifworthy.sample``), the reader protocol and shared row checks (``base``), the registry
chosen by ``corpus.format`` (``readers``), and the manifest, the sole writer and reader of
the tables every later stage uses (``manifest``)."""
