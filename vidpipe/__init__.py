"""vidpipe: one text prompt in, a finished multi-scene MP4 out."""

__version__ = "0.1.0"
