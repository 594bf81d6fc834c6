"""gifworthy: turn video collections into GIF datasets and GIF-suitability rankers.

One package per domain (README, "Layout"): ``core`` (params, atomic files, ids, fingerprints),
``media`` (everything that runs ffmpeg), ``pipeline`` (paths, jobs, the one stage shape),
``corpus`` (format readers and the manifest), ``download``, ``align``, ``shots``,
``features``, ``ranking``, ``screentime``, ``explorer``, the stage modules ``trim``,
``gifify`` and ``segments``, and ``sample`` (the embedded corpus, which nothing in
production imports). ``cli`` is the thin command layer DVC stages and Snakemake rules call.
"""

__version__ = "0.2.0"
