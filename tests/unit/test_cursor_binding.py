"""A cursor is bound to the sort and filters it was made for (application/cursors.py): the page
after it is read only under the same ones, and a cursor a client holds across a deploy that adds
a filter still binds when the client does not use it."""

from __future__ import annotations

import uuid

import pytest

from taskhub.application.cursors import decode_cursor, encode_cursor
from taskhub.domain.errors import InvalidParameter
from taskhub.domain.listing import TOP_LEVEL, PageKey, Sort, TaskFilter, TopLevel
from taskhub.domain.model import TaskId

POSITION = Sort.parse("position")
KEY = PageKey("a1", TaskId(uuid.UUID(int=7)))


def test_the_filters_text_form_without_a_parent_is_the_one_cursors_were_bound_to_before_subtasks() -> None:
    # As of migration 0006's release: a cursor made then binds to this text.
    assert TaskFilter().canonical() == "\x1e".join(
        ["completed=None", "priorities=", "tags=", "due_before=", "due_after=", "text=", "list="]
    )


@pytest.mark.parametrize("parent", [TOP_LEVEL, TaskId(uuid.UUID(int=1))], ids=["none", "a task"])
def test_a_cursor_made_under_a_parent_filter_reads_on_under_it_only(parent: TaskId | TopLevel) -> None:
    under = TaskFilter(parent_id=parent)
    cursor = encode_cursor(POSITION, under, KEY)
    assert decode_cursor(cursor, POSITION, under) == KEY
    with pytest.raises(InvalidParameter):
        decode_cursor(cursor, POSITION, TaskFilter())
