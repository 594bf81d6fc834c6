"""Everything that runs ffmpeg or ffprobe: ``probe`` (duration, size, rate, frame counts and
the one frame-rate fallback), ``decode`` (one decode, many frame streams), ``gif`` (GIF and
WebP readers and timing) and ``encode`` (trim a clip, make a GIF/WebP/MP4)."""
