"""gifworthy: turn video collections into GIF datasets and GIF-suitability rankers.

One module per pipeline stage (see README): ``annotations`` and ``manifest`` read corpora,
``sample`` builds the embedded corpus, ``download`` fetches with yt-dlp, ``trim`` cuts clips.
The ``cli`` module is a thin command layer that Snakemake rules and DVC stages call.
"""

__version__ = "0.1.0"
