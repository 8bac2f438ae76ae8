"""E5-V adapter on a tiny random LLaVA-Next: prompts, last-token states, padding, packing."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from pytest_mieb.models import Encoder, load_encoder

# E5-V's prompts, written out here independently of the adapter's constants.
TURN = (
    "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n \n"
)
TEXT = "{}\nSummary above sentence in one word: "
IMAGE = "<image>\nSummary above image in one word: "
FUSED = '[INST] <image> Modify this image with "{}" Describe modified image in one word: [/INST]'
TEXTS = ["a cat", "", "the red dog in a photo of a blue bird"]


@pytest.fixture(scope="module")
def e5v(llava_next_dir: Path) -> Encoder:
    return load_encoder(f"e5-v:{llava_next_dir}", device="cpu")


@pytest.fixture(scope="module")
def reference(llava_next_dir: Path):
    from transformers import LlavaNextForConditionalGeneration, LlavaNextProcessor

    model = LlavaNextForConditionalGeneration.from_pretrained(llava_next_dir).eval()
    processor = LlavaNextProcessor.from_pretrained(llava_next_dir, backend="pil")
    assert type(processor.image_processor).__name__ == "LlavaNextImageProcessorPil"
    # transformers 4.44 (E5-V's published scores) padded (target - size) // 2 on each side.
    processor.image_processor._get_padding_size = lambda size, target: tuple(
        ((t - s) // 2, (t - s) // 2) for s, t in zip(size, target, strict=True)
    )
    return model, processor


def _last_state(model, inputs) -> torch.Tensor:
    with torch.no_grad():
        out = model(**inputs, output_hidden_states=True, return_dict=True)
    return out.hidden_states[-1][:, -1, :]


def test_loads_as_an_encoder_with_the_llm_width(e5v) -> None:
    assert isinstance(e5v, Encoder)
    assert e5v.embed_dim == 32
    assert e5v.similarity == "cosine"


def test_texts_are_the_last_token_of_the_e5v_text_prompt_one_by_one(e5v, reference) -> None:
    model, processor = reference
    want = [
        _last_state(model, processor.tokenizer([TURN.format(TEXT.format(t))], return_tensors="pt"))
        for t in TEXTS
    ]
    torch.testing.assert_close(e5v.encode_texts(TEXTS), torch.cat(want), atol=1e-5, rtol=1e-4)


def test_images_of_any_shape_match_their_single_image_prompt(e5v, reference, images) -> None:
    model, processor = reference
    want = []
    for image in images:
        inputs = processor(
            text=[TURN.format(IMAGE)], images=[image.convert("RGB")], return_tensors="pt"
        )
        want.append(_last_state(model, inputs))
    got = e5v.encode_images(images)
    torch.testing.assert_close(got, torch.cat(want), atol=1e-5, rtol=1e-4)


def test_pixel_path_uses_a_picklable_packed_transform(e5v, images) -> None:
    transform = pickle.loads(pickle.dumps(e5v.image_transform))
    pixels = torch.stack([transform(im.convert("RGB")) for im in images])
    assert pixels.dim() == 2
    torch.testing.assert_close(e5v.encode_pixels(pixels), e5v.encode_images(images))


def test_fused_inputs_use_the_composed_prompt(e5v, reference, images) -> None:
    model, processor = reference
    texts = ["red", "a dog", ""]
    want = []
    for image, text in zip(images, texts, strict=True):
        inputs = processor(
            text=[TURN.format(FUSED.format(text))],
            images=[image.convert("RGB")],
            return_tensors="pt",
        )
        want.append(_last_state(model, inputs))
    got = e5v.encode_fused(images, texts)
    torch.testing.assert_close(got, torch.cat(want), atol=1e-5, rtol=1e-4)
    assert not torch.allclose(got, e5v.encode_images(images) + e5v.encode_texts(texts))


def test_widest_possible_image_still_fits_the_packed_layout(e5v) -> None:
    from PIL import Image

    tall = Image.new("RGB", (7, 300), (10, 200, 30))
    wide = Image.new("RGB", (300, 7), (10, 200, 30))
    assert e5v.encode_images([tall, wide]).shape == (2, 32)


def test_anyres_padding_is_transformers_4_44s_floor_on_both_sides() -> None:
    import numpy as np

    from pytest_mieb.models.e5v import _symmetric_floor_pad

    chw = np.ones((3, 28, 21), dtype=np.float32)
    padded = _symmetric_floor_pad(chw, (28, 56))
    assert padded.shape == (3, 28, 55)  # one pixel short: the last tile is narrow
    assert padded[:, :, :17].sum() == 0 and padded[:, :, 38:].sum() == 0
    assert padded[:, :, 17:38].min() == 1
    hwc = np.ones((21, 28, 3), dtype=np.uint8)
    assert _symmetric_floor_pad(hwc, (56, 28), "channels_last").shape == (55, 28, 3)


def test_an_odd_padding_image_gets_the_narrow_resized_tile_of_transformers_4_44(
    e5v, reference, llava_next_dir
) -> None:
    from transformers import LlavaNextProcessor

    from tests.models.conftest import random_image

    image = random_image(7, (16, 23))  # fits 32x32 as 23 px wide: 9 px of padding, odd
    model, processor = reference
    inputs = processor(text=[TURN.format(IMAGE)], images=[image], return_tensors="pt")
    assert inputs["pixel_values"].shape[1] == 2  # base view + one tile
    torch.testing.assert_close(
        e5v.encode_images([image]), _last_state(model, inputs), atol=1e-5, rtol=1e-4
    )
    stock = LlavaNextProcessor.from_pretrained(llava_next_dir, backend="pil")
    later = stock.image_processor([image], return_tensors="pt")["pixel_values"]
    assert not torch.allclose(later, inputs["pixel_values"])  # transformers 5 pads 4 + 5
