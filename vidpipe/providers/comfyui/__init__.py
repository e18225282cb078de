"""The `comfyui` provider: keyframes and clips from a ComfyUI server (VIDPIPE_COMFYUI_URL).

Shipped API-format workflow templates (text to image, image to image, Wan 2.1 first-last-frame
to video) live in `workflows/`; point the VIDPIPE_COMFYUI_*_WORKFLOW settings at your own.
"""

from vidpipe.providers.comfyui.providers import ComfyUIImageProvider, ComfyUIVideoProvider

PROVIDERS = [ComfyUIImageProvider, ComfyUIVideoProvider]

__all__ = ["PROVIDERS", "ComfyUIImageProvider", "ComfyUIVideoProvider"]
