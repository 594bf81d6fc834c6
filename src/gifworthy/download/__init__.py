"""The download stage and its parts: ``failures`` (the Kinetics downloaders' categories and
the classifier), ``throttle`` (the pause every process shares on HTTP 429), ``sources``
(the source protocol and the registry that picks one by URL), ``ytdlp`` (the yt-dlp source)
and ``stage`` (one item in, one status record out, never a failed stage)."""
