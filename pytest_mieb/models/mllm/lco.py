"""LCO-Embedding-Omni (a Qwen2.5-Omni thinker): mteb 2.26's `LCOEmbedding` recipe.

* one user message per input, no system message (the chat template's default one), no task
  instruction: content = image placeholder (when there is an image), then the text (capped
  at 300 tokens: tokenised, cut, decoded), then always ``"\\nSummarize the above {image|text}
  in one word:"`` (image when the input has one);
* the processor's chat template renders it with the generation prompt; tokenizer padding
  left; the checkpoint's image processor (no extra pixel limits); no truncation;
* the full thinker forward (Qwen2.5-Omni's multimodal rope index); the last layer's hidden
  state at the last position (left padding: every prompt's last token), L2-normalised;
* weights in bf16 (the family's precision in `published_models.toml`).

The images reach the processor in their stored mode, as mteb hands them over: transformers'
processor converts them to RGB, compositing transparency onto white (`keeps_image_mode`).
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.mllm.base import MllmEncoder, l2_normalised, n_items

TEXT_TOKENS = 300
SUFFIX = "\nSummarize the above {} in one word:"


class LcoEncoder(MllmEncoder):
    family = "lco"
    keeps_image_mode = True

    def messages(self, has_image: bool, texts: list[str] | None, n: int) -> list[list[dict]]:
        """The chat messages of one batch (one user message per input)."""
        out = []
        for k in range(n):
            content: list[dict[str, Any]] = []
            if has_image:
                content.append({"type": "image", "image": "placeholder"})
            if texts is not None and texts[k] is not None:
                content.append({"type": "text", "text": self.capped(texts[k])})
            modality = "image" if has_image else "text"
            content.append({"type": "text", "text": SUFFIX.format(modality)})
            out.append([{"role": "user", "content": content}])
        return out

    def capped(self, text: str) -> str:
        tokenizer = self.processor.tokenizer
        ids = tokenizer(text).input_ids
        return tokenizer.decode(ids[:TEXT_TOKENS]) if len(ids) > TEXT_TOKENS else text

    def prompts(
        self, images: list[Any] | None, texts: list[str] | None, context: Any = None
    ) -> list[str]:
        """The rendered prompt of each input (the context does not matter)."""
        messages = self.messages(images is not None, texts, n_items(images, texts))
        return [
            self.processor.apply_chat_template(msg, tokenize=False, add_generation_prompt=True)
            for msg in messages
        ]

    def _embed(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        import torch

        inputs = self.processor(
            text=self.prompts(images, texts),
            images=images or None,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            out = self.model(**self._to_device(inputs), output_hidden_states=True, return_dict=True)
        return l2_normalised(out.hidden_states[-1][:, -1, :]).cpu().float()


def load(ref: Any, *, device: str, dtype: Any, trust_remote_code: bool) -> LcoEncoder:
    from transformers import (
        Qwen2_5OmniProcessor,
        Qwen2_5OmniThinkerForConditionalGeneration,
    )

    from pytest_mieb.models.mllm.loading import load_parts

    parts = load_parts(
        ref,
        Qwen2_5OmniThinkerForConditionalGeneration,
        Qwen2_5OmniProcessor,
        device=device,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
    )
    parts.processor.tokenizer.padding_side = "left"
    model = parts.model
    # only hidden states are used: the LM head sees the last position only
    model.lm_head.register_forward_pre_hook(lambda _module, args: (args[0][:, -1:, :],))
    return LcoEncoder(
        name=ref.name,
        revision=parts.revision,
        model=model,
        processor=parts.processor,
        device=device,
        identity={
            **parts.identity,
            "padding_side": "left",
            "text_tokens": TEXT_TOKENS,
            "images": "stored mode (the processor composites alpha on white)",
        },
    )
