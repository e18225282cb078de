"""ffmpeg discovery, probing, encoding, frame I/O and stitching."""
