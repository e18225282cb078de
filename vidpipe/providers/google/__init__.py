"""The `google` provider: Gemini storyboards, Gemini image / Imagen keyframes, Veo clips, Gemini
speech (narration).

Through the google-genai SDK, in Gemini API key mode or Vertex AI mode; see docs/providers.md.
"""

from vidpipe.providers.google.images import GoogleImageProvider
from vidpipe.providers.google.speech import GoogleSpeechProvider
from vidpipe.providers.google.storyboard import GoogleStoryboardProvider
from vidpipe.providers.google.video import GoogleVideoProvider

PROVIDERS = [
    GoogleStoryboardProvider,
    GoogleImageProvider,
    GoogleVideoProvider,
    GoogleSpeechProvider,
]

__all__ = [
    "PROVIDERS",
    "GoogleImageProvider",
    "GoogleSpeechProvider",
    "GoogleStoryboardProvider",
    "GoogleVideoProvider",
]
