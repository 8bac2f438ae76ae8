"""One split per language (default config): WIT, XM3600, XFlickr30kCo.

`data/<lang>-00000-of-00001.parquet` for every language the task lists, README
`configs:` naming the splits after the languages. The same images appear in every
language (as in XM3600), captioned in that "language" (a language tag plus the concept
words, so captions of one image share words across languages).

* `wit` (mteb/wit): `image` (Image), `image_id` (string), `captions` (list of strings,
  one or two per image);
* `xm3600` (floschne/xm3600 layout): `image_id`, `image_locale`, `captions`,
  `captions_tokenized`, `captions_tokenized_lowercase` (lists of strings), `image` as a
  raw struct {bytes: binary, path: null} (not an `Image` feature);
* `xflickrco` (floschne/xflickrco layout): `sentences` (one caption string), `id`
  (string), `image` as a raw struct {bytes: binary, path: null}.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context


def _languages(ctx: Context) -> list[str]:
    seen: dict[str, None] = {}
    for task in ctx.tasks:
        seen.update(dict.fromkeys(task.subsets))
    return list(seen)


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, List, Value

    kind = schema["kind"]
    string = Value("string")
    raw_image = {"bytes": Value("binary"), "path": Value("null")}
    if kind == "wit":
        feats = Features({"image": Image(), "image_id": string, "captions": List(string)})
    elif kind == "xm3600":
        feats = Features(
            {
                "image_id": string,
                "image_locale": string,
                "captions": List(string),
                "captions_tokenized": List(string),
                "captions_tokenized_lowercase": List(string),
                "image": raw_image,
            }
        )
    elif kind == "xflickrco":
        feats = Features({"sentences": string, "id": string, "image": raw_image})
    else:  # pragma: no cover - table error
        raise ValueError(f"{ctx.repo}: unknown multilingual kind {kind!r}")
    rng = ctx.rng("images")
    concepts = [int(c) for c in rng.permutation(draw.N_CONCEPTS * 2)[: ctx.rows] % draw.N_CONCEPTS]
    images = [draw.encode(draw.concept_image(c, rng, ctx.image_size), "JPEG") for c in concepts]
    image_ids = [f"{int(x):016x}" for x in rng.integers(0, 2**62, size=ctx.rows)]
    repo = ctx.new_repo()
    for lang in _languages(ctx):
        lrng = ctx.rng("captions", lang)
        columns: dict[str, list[Any]] = {c: [] for c in feats}
        for c, data, image_id in zip(concepts, images, image_ids, strict=True):
            words = draw.concept_words(c)
            caps = [f"[{lang}] a {words}"]
            if lrng.uniform() < 0.4:
                caps.append(f"[{lang}] the {words} in the middle")
            if kind == "wit":
                columns["image"].append({"bytes": data, "path": None})
                columns["image_id"].append(image_id)
                columns["captions"].append(caps)
            elif kind == "xm3600":
                columns["image_id"].append(image_id)
                columns["image_locale"].append(lang)
                columns["captions"].append(caps)
                columns["captions_tokenized"].append([" ".join(x.split()) for x in caps])
                columns["captions_tokenized_lowercase"].append([x.lower() for x in caps])
                columns["image"].append({"bytes": data, "path": None})
            else:
                columns["sentences"].append(caps[0])
                columns["id"].append(image_id)
                columns["image"].append({"bytes": data, "path": None})
        repo.add("default", lang, columns, feats, files=f"data/{lang}")
    ctx.finish(repo)
