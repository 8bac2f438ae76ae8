"""Tiny tokenizers trained offline, in the shapes the real checkpoints' tokenizers have.

No tokenizer can be downloaded here, so each tiny checkpoint carries a small vocabulary trained
on a fixed corpus with the `tokenizers` library, wrapped in the same tokenizer pipeline as the
real one (byte-level BPE for Qwen2 / SmolLM, SentencePiece-style BPE with byte fallback for
Gemma, WordPiece for BERT). Token ids differ from the real ones; the text pipeline (special
tokens, normalisation, BOS/EOS rules, padding side) is what the parity checks exercise.
"""

from __future__ import annotations

import json
import string

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

#: Text the vocabularies are trained on: the words of the probes, the fixed prompts of the
#: recipes, and every printable ASCII character (so nothing becomes <unk>).
CORPUS: list[str] = [
    "a photo of a cat dog bird car plane ship truck horse deer frog. A red square next to a blue",
    "circle on a grey background. zwei Hunde spielen im Schnee. What is the total budget shown",
    "in the table for 2021? a long caption word0 word1 word2 word3 word4 word5 word6 word7 word8",
    "Query: Describe the image. Represent the given image. Find a document image that matches",
    "the given query. You are a helpful assistant. Retrieve text based on user query. Classify",
    "the given input into one of the candidate labels. User: Assistant: search_query: document",
    string.ascii_letters + " " + string.digits + " " + string.punctuation,
] * 8


def byte_level_bpe(special_tokens: list[str], vocab_size: int = 600) -> Tokenizer:
    """A GPT-2 style byte-level BPE; `special_tokens` get ids 0..k-1 in the order given."""
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return tok


def sentencepiece_bpe(
    special_tokens: list[str], vocab_size: int = 700
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(vocab, merges) for a Gemma/Llama-style tokenizer: spaces as U+2581, byte fallback.

    `special_tokens` get ids 0..k-1, then the 256 byte-fallback pieces `<0x00>`..`<0xFF>`,
    then the trained pieces.
    """
    byte_pieces = [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[*special_tokens, *byte_pieces], show_progress=False
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return dict(model["vocab"]), merges


def wordpiece_vocab(special_tokens: list[str], vocab_size: int = 700) -> list[str]:
    """Lines of a BERT `vocab.txt` (lower-cased WordPiece), `special_tokens` first."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    vocab = tok.get_vocab()
    return sorted(vocab, key=vocab.__getitem__)
