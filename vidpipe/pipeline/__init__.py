"""The four steps: storyboard, keyframes, video_gen, stitch. Each reads like a short story."""
