"""The five Vision results counters: Unprocessed, Sending, Sent, Failed, Not Required."""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import Static

from scrtui.domain.records import Bucket

LABEL_WIDTH = 14


def counters_text(counts: Mapping[Bucket, int]) -> str:
    return "\n".join(
        f"{bucket.label:<{LABEL_WIDTH}}{counts.get(bucket, 0):>8,}" for bucket in Bucket
    )


class Counters(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(counters_text({}), id=id, classes="counters", markup=False)
        self._shown: dict[Bucket, int] = {}

    def show(self, counts: Mapping[Bucket, int]) -> None:
        values = {bucket: counts.get(bucket, 0) for bucket in Bucket}
        if values != self._shown:
            self._shown = values
            self.update(counters_text(values), layout=False)  # always five lines
