"""The shared core every stage stands on: params loading and validation (``config``), atomic
files (``fsutil``), safe ids (``ids``), content and code digests (``fingerprint``), isolated
random state (``determinism``) and files inside installed packages (``resources``). It
imports no other gifworthy package."""
