"""Sound of the final video: where spoken lines go (timeline), subtitles, the mix and the mux.

Pure ffmpeg and arithmetic, no database and no providers: the pipeline's sound step
(vidpipe.pipeline.sound) decides what to make and calls these.
"""
