"""Byte-level BPE tokenizers trained locally, for the multimodal-LLM tiny checkpoints.

The real repos ship GPT-2-style byte-level BPE tokenizers (Qwen2, Llama 3) with their special
tokens appended after the learned vocabulary. Here a ~600-token BPE is trained on a small fixed
corpus (so any text still encodes, through the byte alphabet) and the family's special tokens are
appended the same way. Files are written by hand in the layout transformers 4.x wrote them, which
transformers 4.44 - 5.x all read, so one checkpoint serves mteb's pinned versions and ours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

# Words the probe texts and the recipes' prompts use, so that they tokenise into a few pieces.
_CORPUS = (
    "You are a helpful assistant. Represent the given image with the following question. "
    "Summarize the above image in one word. Summary above sentence in one word. "
    "Find a document image that matches the given query. Understand the content of the provided "
    "document image. Retrieve text based on user query. Classify the given input into one of the "
    "candidate labels. Classify user passages. Identify categories in user passages. "
    "Modify this image with Describe modified image in one word. Represent the user's input. "
    "a photo of a cat, a dog and a bird. A red square next to a blue circle on a grey background. "
    "zwei Hunde spielen im Schnee. What is the total budget shown in the table for 2021? "
    "a long caption word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 "
    "user assistant system Query: Describe the image. "
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 "
    ".,:;!?'\"()[]{}<>-_/\\|@#$%^&*+=~`"
)


def train(special_tokens: list[str], vocab_size: int = 600) -> Tokenizer:
    """A byte-level BPE; `special_tokens` get the ids right after the learned vocabulary."""
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([_CORPUS] * 8, trainer=trainer)
    tok.add_special_tokens(special_tokens)
    return tok


def added_tokens_decoder(tok: Tokenizer, special_tokens: list[str]) -> dict[str, dict[str, Any]]:
    """The `added_tokens_decoder` block of a transformers 4.x tokenizer_config.json."""
    return {
        str(tok.token_to_id(t)): {
            "content": t,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for t in special_tokens
    }


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_tokenizer(
    directory: Path, tok: Tokenizer, special_tokens: list[str], config: dict[str, Any]
) -> None:
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json, as 4.x saved them.

    Merges are written as "a b" strings (tokenizers < 0.20 reads only those; later ones read both).
    """
    data = json.loads(tok.to_str())
    merges = data["model"]["merges"]
    data["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in merges]
    write_json(directory / "tokenizer.json", data)
    full = {"added_tokens_decoder": added_tokens_decoder(tok, special_tokens), **config}
    write_json(directory / "tokenizer_config.json", full)
    keys = ("bos_token", "eos_token", "pad_token", "unk_token", "additional_special_tokens")
    write_json(
        directory / "special_tokens_map.json",
        {k: config[k] for k in keys if config.get(k) is not None},
    )
