"""jina-clip stand-in: a remote-code repository layout whose model has jina-clip's interface.

jina-clip's model, tokenizer and image transform all live in Hub-only remote code
(`jinaai/jina-clip-implementation` and a JinaBERT repo), not reachable here; see
`_stand_in_code`. This writes the tiny CLIP checkpoint of `tinymodels.clip` with a module whose
`StandInJinaCLIP` (a `CLIPModel` subclass) offers `encode_text` / `encode_image` with the
keyword arguments mteb passes (`convert_to_numpy`, `convert_to_tensor`) and jina-clip's defaults
as recipes-14 read them (tokenizer `padding=True, truncation=True, max_length=512`; images to
RGB, then the repository's image processor; L2-normalised). It checks the calls around the
model, not jina-clip's architecture.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._stand_in_code import use_stand_in_code
from tinymodels._write_once import seeded, write_once
from tinymodels.clip import tiny_clip_config, write_clip_preprocessor, write_clip_tokenizer

CODE = '''"""Stand-in for jina-clip's remote code (tiny CLIP with jina-clip's encode methods)."""
import torch
from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel


def _features(out):
    return getattr(out, "pooler_output", out)


class StandInJinaCLIP(CLIPModel):
    @classmethod
    def from_pretrained(cls, path, *args, **kwargs):
        loaded = super().from_pretrained(path, *args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        where = {k: kwargs[k] for k in ("revision", "local_files_only") if k in kwargs}
        model.tokenizer = AutoTokenizer.from_pretrained(path, **where)
        model.processor = AutoImageProcessor.from_pretrained(path, backend="pil", **where)
        return loaded

    def _finish(self, emb, convert_to_numpy, convert_to_tensor, normalize_embeddings):
        if normalize_embeddings:
            emb = torch.nn.functional.normalize(emb, p=2, dim=-1)
        if convert_to_tensor:
            return emb
        return emb.cpu().numpy() if convert_to_numpy else list(emb)

    @torch.inference_mode()
    def encode_text(self, sentences, batch_size=32, convert_to_numpy=True,
                    convert_to_tensor=False, normalize_embeddings=True, **kwargs):
        inputs = self.tokenizer(list(sentences), padding=True, truncation=True, max_length=512,
                     return_tensors="pt").to(self.device)
        emb = _features(self.get_text_features(**inputs))
        return self._finish(emb, convert_to_numpy, convert_to_tensor, normalize_embeddings)

    @torch.inference_mode()
    def encode_image(self, images, batch_size=32, convert_to_numpy=True,
                     convert_to_tensor=False, normalize_embeddings=True, **kwargs):
        pixels = self.processor(images=[i.convert("RGB") for i in images], return_tensors="pt")
        pixel_values = pixels["pixel_values"].to(self.device)
        emb = _features(self.get_image_features(pixel_values=pixel_values))
        return self._finish(emb, convert_to_numpy, convert_to_tensor, normalize_embeddings)
'''


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import CLIPModel

        vocab_size = write_clip_tokenizer(out)
        write_clip_preprocessor(out)
        config = tiny_clip_config(vocab_size)
        config.text_config.max_position_embeddings = 512  # jina-clip's text max_length
        seeded(seed)
        CLIPModel(config).eval().save_pretrained(out)
        use_stand_in_code(out, "modeling_stand_in", CODE, None, {"AutoModel": "StandInJinaCLIP"})

    return write_once(root, "jina_clip", write)
