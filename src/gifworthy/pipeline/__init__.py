"""The machinery every persisted stage shares: ``paths`` (every data path and variant name),
``records`` (the typed status records and their versions), ``stage`` (the one stage shape,
its job keys, the one reconciler that runs before Snakemake, and the stage registry)."""
