"""VLM2Vec v1 (Phi-3.5-V, remote code): refused without the trust flag, and its batching as
mteb 2.26's wrapper does it, checked with a stand-in processor and model (the Phi-3-V code and
weights are not available offline): fixed prompts, one processor call per input with
max_length 256, right padding with the pad id, mask = ids != pad (image placeholders count),
the last non-pad token pooled and L2-normalised."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.mllm.vlm2vec_v1 import FUSED_PROMPT, IMAGE_PROMPT, Vlm2VecV1Encoder

PAD = 0


class StandInProcessor:
    """Token ids: 1 (BOS), one id per character (at most 6), then three -1 image placeholders
    when an image is given; records every call."""

    tokenizer = SimpleNamespace(pad_token_id=PAD)

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, text, image, *, return_tensors, max_length, truncation):
        self.calls.append((text, image, max_length, truncation))
        ids = [1] + [2 + ord(c) % 50 for c in text[:6]] + ([-1, -1, -1] if image else [])
        out = {"input_ids": torch.tensor([ids])}
        if image is not None:
            out["pixel_values"] = torch.zeros(1, 5, 3, 4, 4)
            out["image_sizes"] = torch.tensor([[image.height, image.width]])
        return out


class StandInModel(torch.nn.Module):
    """Hidden state at position p: (p + 1, 1, 0) - pooling shows which position it read."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.seen: dict = {}

    def forward(self, input_ids, attention_mask, output_hidden_states, return_dict, **extra):
        self.seen = {"input_ids": input_ids, "attention_mask": attention_mask, **extra}
        b, n = input_ids.shape
        positions = torch.arange(n, dtype=torch.float32).expand(b, n)
        hidden = torch.stack([positions + 1, torch.ones(b, n), torch.zeros(b, n)], dim=-1)
        return SimpleNamespace(hidden_states=[hidden * self.weight])


def encoder() -> Vlm2VecV1Encoder:
    return Vlm2VecV1Encoder(
        name="stand-in", revision="0", model=StandInModel(), processor=StandInProcessor(),
        device="cpu", identity={},
    )  # fmt: skip


def test_refused_without_the_trust_flag():
    ref = parse_model_id("TIGER-Lab/VLM2Vec-Full")
    assert (ref.backend, ref.family) == ("mllm", "vlm2vec")
    assert ref.revision == "e9afa98002097ac2471827ba23ea1f2ddd229480"
    for model_id in ("TIGER-Lab/VLM2Vec-Full", "TIGER-Lab/VLM2Vec-LoRA"):
        with pytest.raises(ModelLoadError, match="--mieb-trust-remote-code"):
            load_encoder(model_id, device="cpu")


def test_prompts_are_fixed_whatever_the_task():
    enc = encoder()
    image = Image.new("RGB", (8, 6))
    assert enc.prompts([image], None) == [IMAGE_PROMPT]
    assert enc.prompts([image], ["what?"]) == [FUSED_PROMPT.format("what?")]
    assert FUSED_PROMPT.format("q") == (
        "<|image_1|> Represent the given image with the following question: q"
    )
    assert enc.prompts(None, [" raw text "]) == [" raw text "]
    assert enc.context_key(SimpleNamespace(task="X", side="query")) == ""


def test_each_input_is_processed_alone_then_right_padded():
    enc = encoder()
    enc.processor.calls.clear()
    texts = ["ab", "abcdef"]
    out = enc.encode_texts(texts)
    assert [c[0] for c in enc.processor.calls] == texts
    assert all(c[1] is None and c[2:] == (256, True) for c in enc.processor.calls)
    ids, mask = enc.model.seen["input_ids"], enc.model.seen["attention_mask"]
    assert ids[0].tolist()[3:] == [PAD] * 4 and mask[0].tolist() == [True] * 3 + [False] * 4
    # the last non-pad token: position 2 of the short row, 6 of the long one
    expected = torch.nn.functional.normalize(torch.tensor([[3.0, 1, 0], [7.0, 1, 0]]), dim=-1)
    torch.testing.assert_close(out, expected)


def test_image_placeholders_count_as_tokens_and_pixels_are_concatenated():
    enc = encoder()
    images = [Image.new("RGB", (8, 6)), Image.new("RGB", (4, 10))]
    out = enc.encode_fused(images, ["a", "b"])
    seen = enc.model.seen
    assert seen["attention_mask"].all()  # -1 placeholders are not the pad id
    assert seen["pixel_values"].shape[0] == 2
    assert seen["image_sizes"].tolist() == [[6, 8], [10, 4]]
    assert out.shape == (2, 3)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2))
