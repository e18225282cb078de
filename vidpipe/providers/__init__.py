"""Generative providers: storyboard (LLM), image and video roles."""
