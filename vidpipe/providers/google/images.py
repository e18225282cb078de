"""Keyframes from Gemini image models (both modes) or Imagen (Vertex AI).

Start frames come from the prompt. End frames are conditioned on the start image:
- Gemini image models: the start image goes in as an inline image part next to the prompt.
- Imagen: `edit_image` on the edit model (VIDPIPE_GOOGLE_IMAGE_EDIT_MODEL, default
  imagen-3.0-capability-001) with the start image as the raw reference, mask-free edit mode.
"""

from __future__ import annotations

from typing import Any

from google.genai import types
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ContentFilteredError, ProviderError
from vidpipe.providers.base import Capabilities, ImageProvider, ImageRequest
from vidpipe.providers.catalog import catalog_price
from vidpipe.providers.google.client import GoogleClientMixin
from vidpipe.providers.google.models import DEFAULT_IMAGE_PRICE, IMAGEN_ASPECT_RATIOS, is_imagen
from vidpipe.providers.google.settings import GoogleSettings
from vidpipe.providers.imaging import end_frame_instruction, fit_png, styled, with_references

SAFETY_FINISH = {
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
}


class GoogleImageProvider(GoogleClientMixin, ImageProvider):
    """Gemini image models or Imagen, per VIDPIPE_GOOGLE_IMAGE_MODEL."""

    # Gemini: reference images as extra input images; Imagen: subject references on the edit
    # model (imagen-3.0-capability-001), the start frame then drawn by that model too.
    capabilities = Capabilities(supports_references=True)

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        edit_model: str

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        google = settings.provider(GoogleSettings)
        self.options = self.Options(
            model=google.image_model,
            edit_model=google.image_edit_model,
        )
        if is_imagen(self.options.model) and not google.vertexai:
            raise BadInputError(
                f"{self.options.model} runs on Vertex AI only: set VIDPIPE_GOOGLE_VERTEXAI=1, or "
                "VIDPIPE_GOOGLE_IMAGE_MODEL=gemini-3.1-flash-image for the Gemini API"
            )
        self._init_client()
        model = self.options.model
        self.price_per_call = catalog_price(settings, "google", "image", model, DEFAULT_IMAGE_PRICE)

    async def generate_image(self, request: ImageRequest) -> bytes:
        if is_imagen(self.options.model):
            data = await self._imagen(request)
        else:
            data = await self._gemini(request)
        return fit_png(data, request.width, request.height, source=self.options.model)

    # ------------------------------------------------------------ Gemini image models

    async def _gemini(self, request: ImageRequest) -> bytes:
        contents: list[types.PartUnion] = []
        if request.reference_image is not None:
            contents.append(
                types.Part.from_bytes(
                    data=request.reference_image.read_bytes(), mime_type="image/png"
                )
            )
            text = end_frame_instruction(request.prompt, request.style_guide)
        else:
            text = styled(request.prompt, request.style_guide)
        # the scene's reference images follow the frame, as extra input images
        text = with_references(text, request.references, first=len(contents) + 1)
        for ref in request.references:
            contents.append(
                types.Part.from_bytes(data=ref.path.read_bytes(), mime_type=ref.media_type)
            )
        contents.append(types.Part.from_text(text=text))
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=request.aspect_ratio),
        )
        async with self._aio() as aio:
            response = await self._call(
                f"{self.options.model} keyframe",
                lambda: aio.models.generate_content(
                    model=self.options.model, contents=contents, config=config
                ),
                rpm=self.requests_per_minute,
            )
        return _image_of(response, self.options.model)

    # ------------------------------------------------------------ Imagen (Vertex AI)

    async def _imagen(self, request: ImageRequest) -> bytes:
        aspect = request.aspect_ratio if request.aspect_ratio in IMAGEN_ASPECT_RATIOS else None
        async with self._aio() as aio:
            if request.reference_image is None and not request.references:
                generated = await self._call(
                    f"{self.options.model} keyframe",
                    lambda: aio.models.generate_images(
                        model=self.options.model,
                        prompt=styled(request.prompt, request.style_guide),
                        config=types.GenerateImagesConfig(
                            number_of_images=1,
                            aspect_ratio=aspect,
                            include_rai_reason=True,
                            output_mime_type="image/png",
                        ),
                    ),
                    rpm=self.requests_per_minute,
                )
                images = generated.generated_images or []
                model = self.options.model
            else:
                references, prompt = _edit_references(request)
                what = "end frame" if request.reference_image is not None else "keyframe"
                edited = await self._call(
                    f"{self.options.edit_model} {what}",
                    lambda: aio.models.edit_image(
                        model=self.options.edit_model,
                        prompt=prompt,
                        reference_images=references,
                        config=types.EditImageConfig(
                            edit_mode=types.EditMode.EDIT_MODE_DEFAULT,
                            number_of_images=1,
                            aspect_ratio=aspect,
                            include_rai_reason=True,
                            output_mime_type="image/png",
                        ),
                    ),
                    rpm=self.requests_per_minute,
                )
                images = edited.generated_images or []
                model = self.options.edit_model
        for generated_image in images:
            if generated_image.image is not None and generated_image.image.image_bytes:
                return generated_image.image.image_bytes
        reasons = [g.rai_filtered_reason for g in images if g.rai_filtered_reason]
        if reasons or not images:
            detail = "; ".join(reasons) or "no image returned (filtered)"
            raise ContentFilteredError(f"{model} refused the keyframe for content safety: {detail}")
        raise ProviderError(f"{model} returned no image")


def _edit_references(request: ImageRequest) -> tuple[list[Any], str]:
    """Imagen's edit call: the start frame as the raw reference [1] (end frames), then each
    reference image as a subject reference [2], [3]... that the prompt names."""
    references: list[Any] = []
    if request.reference_image is not None:
        references.append(
            types.RawReferenceImage(
                reference_id=1,
                reference_image=types.Image(
                    image_bytes=request.reference_image.read_bytes(), mime_type="image/png"
                ),
            )
        )
        prompt = end_frame_instruction(request.prompt, request.style_guide)
    else:
        prompt = styled(request.prompt, request.style_guide)
    first = len(references) + 1
    for k, ref in enumerate(request.references):
        references.append(
            types.SubjectReferenceImage(
                reference_id=first + k,
                reference_image=types.Image(
                    image_bytes=ref.path.read_bytes(), mime_type=ref.media_type
                ),
                config=types.SubjectReferenceConfig(
                    subject_type=types.SubjectReferenceType.SUBJECT_TYPE_DEFAULT,
                    subject_description=ref.description or ref.name,
                ),
            )
        )
    return references, with_references(prompt, request.references, first, label="[{n}]")


def _image_of(response: types.GenerateContentResponse, model: str) -> bytes:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        reason = feedback.block_reason_message or str(feedback.block_reason.value)
        raise ContentFilteredError(f"{model} blocked the prompt for content safety: {reason}")
    finish = ""
    for candidate in response.candidates or []:
        for part in (candidate.content.parts if candidate.content else None) or []:
            if part.inline_data is not None and part.inline_data.data:
                return part.inline_data.data
        finish = candidate.finish_reason.value if candidate.finish_reason else ""
        if finish in SAFETY_FINISH:
            detail = f"{finish}: {candidate.finish_message}" if candidate.finish_message else finish
            raise ContentFilteredError(f"{model} refused the keyframe for content safety: {detail}")
    raise ProviderError(f"{model} returned no image (finish reason {finish or 'none'})")
