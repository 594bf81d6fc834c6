"""The embedded sample corpus: real footage that ships inside packages plus synthetic videos
with planted GIF-worthy events (``corpus``), the loopback media server that plays a video
site for the real download code (``server``), and the reader that turns the built corpus
into the manifest's tables (``reader``, registered as ``corpus.format: sample``). Nothing in
production imports this package; only the corpus registry names it."""
