"""CV-Bench as multiple choice (`cvbench`): one image+question per row against its options.

Rows of the eval split whose `task` equals `params.cvbench_task` (Count, Relation, Depth,
Distance) become queries 'query-<split>-<i>' (i counted after filtering) encoding the
image and `question`. The corpus is every distinct option string of those rows, ids
'corpus-<split>-<n>' in order of first appearance; qrels judge each of the row's options
(1 for the answer, a letter '(A)'..'(F)', else 0) and are also its candidate list.
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.data.columns import maybe_subset, texts_key, where
from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.images import ImageColumn
from pytest_mieb.data.schema import column_values, require_layout
from pytest_mieb.data.source import DataSource
from pytest_mieb.tasks.spec import TaskSpec

ANSWER_LETTERS = {f"({letter})": i for i, letter in enumerate("ABCDEF")}


def load_cvbench(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    task = spec.params.get("cvbench_task")
    if not task:
        raise DataError(f"{src.ref}: {spec.name} needs params.cvbench_task (e.g. 'Count')")
    split = spec.eval_split
    loaded = src.load()
    require_layout(src, loaded, {split: ["task", "image", "question", "choices", "answer"]})
    ds = loaded[split]
    rows = [i for i, t in enumerate(column_values(ds, "task")) if t == task]
    if not rows:
        raise DataError(f"{src.ref}: no row of split {split!r} has task == {task!r}")
    questions = column_values(ds, "question")
    choices = column_values(ds, "choices")
    answers = column_values(ds, "answer")

    corpus_texts: list[str] = []
    corpus_id: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    query_ids: list[str] = []
    for position, row in enumerate(rows):
        qid = f"query-{split}-{position}"
        options = list(choices[row])
        answer = options[_answer_index(src, row, answers[row], len(options))]
        judged: dict[str, int] = {}
        for option in options:
            if option not in corpus_id:
                corpus_id[option] = f"corpus-{split}-{len(corpus_texts)}"
                corpus_texts.append(option)
            judged[corpus_id[option]] = 1 if option == answer else 0
        qrels[qid] = judged
        query_ids.append(qid)

    queries = Inputs(
        key=src.key(None, split, "image+question"),
        images=ImageColumn(ds, "image", where(src, None, split)),
        texts=questions,
    )
    corpus_prefix = src.key(None, split, f"choices[task={task}]")
    return RetrievalData(
        subsets={
            "default": RetrievalSubset(
                query_ids=query_ids,
                queries=maybe_subset(queries, rows, len(ds)),
                corpus_ids=[corpus_id[t] for t in corpus_texts],
                corpus=Inputs(key=texts_key(corpus_prefix, corpus_texts), texts=corpus_texts),
                qrels=qrels,
                candidates={q: list(judged) for q, judged in qrels.items()},
            )
        }
    )


def _answer_index(src: DataSource, row: int, answer: Any, n_options: int) -> int:
    index = answer if isinstance(answer, int) else ANSWER_LETTERS.get(str(answer).strip())
    if index is None or not 0 <= index < n_options:
        raise DataError(
            f"{src.ref}: row {row} answer {answer!r} does not name one of its {n_options} choices"
        )
    return index
