"""Tokenizer files for the tiny CLIP-like checkpoints, written offline in the real formats.

No tokenizer can be downloaded here, so each tiny checkpoint carries a small vocabulary built
deterministically from a fixed corpus, in the file format its real repo ships:

* CLIP byte-level BPE with `</w>` word ends (`vocab.json` + `merges.txt`; openai/laion CLIP);
* BERT WordPiece (`vocab.txt`; ALIGN, BLIP);
* a SentencePiece unigram model (`spiece.model`; SigLIP), serialised here by hand (protobuf wire
  format) so that building needs neither `sentencepiece` nor `protobuf`;
* a GPT-2 / Qwen2 byte-level BPE (`tokenizers`; the Qwen2.5-Omni thinker).

Token ids differ from the real ones; the text pipeline around them (normalisation, special
tokens, padding, truncation, pooling position) is what the parity checks exercise.
"""

from __future__ import annotations

import string
import struct
from collections import Counter
from itertools import pairwise

#: Words the vocabularies are built from: the probe texts, common prompt words, every
#: printable ASCII character.
CORPUS: str = " ".join(
    [
        "a photo of a cat dog bird car plane ship truck horse deer frog.",
        "A red square next to a blue circle on a grey background.",
        "zwei Hunde spielen im Schnee. What is the total budget shown in the table for 2021?",
        "a long caption " + " ".join(f"word{k}" for k in range(60)),
        "query: passage: document: Represent the given image. Retrieve images based on",
        "descriptions. Find a document image that matches the given query.",
        string.ascii_letters,
        string.digits,
        string.punctuation,
    ]
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character table."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in chars), strict=True))


def _learn_merges(words: Counter[tuple[str, ...]], n_merges: int) -> list[tuple[str, str]]:
    """Plain BPE: repeatedly merge the most frequent adjacent pair (ties: smallest pair)."""
    merges: list[tuple[str, str]] = []
    words = Counter(words)
    for _ in range(n_merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for word, count in words.items():
            for a, b in pairwise(word):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return merges


def clip_bpe(n_merges: int = 300) -> tuple[dict[str, int], list[str]]:
    """(vocab, merges) in CLIP's layout: 256 byte chars, the same with `</w>`, merges, then
    `<|startoftext|>` and `<|endoftext|>` as the two highest ids (CLIP pools at argmax(ids))."""
    table = bytes_to_unicode()
    base = list(table.values())
    vocab_list = base + [c + "</w>" for c in base]
    words: Counter[tuple[str, ...]] = Counter()
    for word in CORPUS.lower().split():
        chars = [table[b] for b in word.encode("utf-8")]
        chars[-1] += "</w>"
        words[tuple(chars)] += 1
    merges = _learn_merges(words, n_merges)
    seen = set(vocab_list)
    for a, b in merges:
        if a + b not in seen:
            vocab_list.append(a + b)
            seen.add(a + b)
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(vocab_list)}, [f"{a} {b}" for a, b in merges]


def bert_wordpiece(extra_special: tuple[str, ...] = ()) -> list[str]:
    """An uncased BERT `vocab.txt` (one token a line): specials, characters, `##` characters,
    whole corpus words; `extra_special` (e.g. BLIP's `[DEC]`, `[ENC]`) appended last."""
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set(string.ascii_lowercase + string.digits + string.punctuation))
    tokens += chars + ["##" + c for c in chars if c.isalnum()]
    words = sorted({w.strip(string.punctuation) for w in CORPUS.lower().split()} - {""})
    tokens += [w for w in words if w not in tokens]
    return tokens + list(extra_special)


# -- SentencePiece model (protobuf wire format, field numbers of sentencepiece_model.proto) ----


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + payload


def _string(number: int, value: str | bytes) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return _field(number, 2, _varint(len(raw)) + raw)


def _int(number: int, value: int) -> bytes:
    return _field(number, 0, _varint(value))


def _float(number: int, value: float) -> bytes:
    return _field(number, 5, struct.pack("<f", value))


NORMAL, UNKNOWN, CONTROL = 1, 2, 3


def sentencepiece_unigram(specials: list[tuple[str, int]], words: list[str]) -> bytes:
    """A unigram `spiece.model`: `specials` ((piece, type) in id order) then `▁`, single
    characters and `▁word` pieces for `words`, scored so that longer pieces win.
    Normaliser: identity, dummy prefix on, whitespace collapsed (SigLIP's own settings aside)."""
    pieces: list[tuple[str, float, int]] = [(p, 0.0, t) for p, t in specials]
    chars = sorted(set(string.ascii_lowercase + string.digits) | {c for w in words for c in w})
    body = ["▁", *chars, *sorted({"▁" + w for w in words})]
    for piece in body:
        if piece not in {p for p, _, _ in pieces}:
            pieces.append((piece, -10.0 + len(piece), NORMAL))
    ids = {p: i for i, (p, _, _) in enumerate(pieces)}
    model = b"".join(_string(1, _string(1, p) + _float(2, s) + _int(3, t)) for p, s, t in pieces)
    trainer = (
        _int(3, 1)  # model_type UNIGRAM
        + _int(4, len(pieces))
        + _int(40, ids.get("<unk>", 0))
        + _int(41, ids.get("<s>", -1))
        + _int(42, ids.get("</s>", -1))
        + _int(43, ids.get("<pad>", -1))
    )
    normalizer = _string(1, "identity") + _int(3, 1) + _int(4, 1) + _int(5, 1)
    return model + _string(2, trainer) + _string(3, normalizer)


def corpus_words() -> list[str]:
    """The corpus, lower-cased, punctuation stripped, as a sorted word list."""
    table = str.maketrans("", "", string.punctuation)
    return sorted({w.translate(table) for w in CORPUS.lower().split()} - {""})


def byte_level_bpe(special_tokens: list[str], vocab_size: int = 600):
    """A GPT-2 / Qwen2 style byte-level BPE (`tokenizers.Tokenizer`) trained on `CORPUS`;
    `special_tokens` get ids 0..k-1 in the order given."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )  # fmt: skip
    tok.train_from_iterator([CORPUS] * 20, trainer=trainer)
    return tok
