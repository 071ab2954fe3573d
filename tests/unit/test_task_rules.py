"""The Task entity's rules, checked without any I/O."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from taskhub.domain.errors import InvalidTask
from taskhub.domain.model import (
    CONTENT_FIELD_NAMES,
    DESCRIPTION_MAX_LENGTH,
    REVISION,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TITLE_MAX_LENGTH,
    Priority,
    Task,
    TaskContent,
    TaskPatch,
    field_rule_names,
)
from tests.factories import T0, make_task, user

LATER = T0 + timedelta(minutes=5)


def fields_in_error(exc: pytest.ExceptionInfo[InvalidTask]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_title_is_trimmed() -> None:
    assert TaskContent(title="  Buy milk \u3000").title == "Buy milk"


@pytest.mark.parametrize("title", ["", "   ", "\u00a0\u2003"])
def test_blank_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title=title)
    assert fields_in_error(exc) == {"title"}


def test_title_of_exactly_the_limit_is_accepted() -> None:
    assert len(TaskContent(title="x" * TITLE_MAX_LENGTH).title) == TITLE_MAX_LENGTH


def test_title_one_over_the_limit_is_refused() -> None:
    with pytest.raises(InvalidTask):
        TaskContent(title="x" * (TITLE_MAX_LENGTH + 1))


@pytest.mark.parametrize("bad", ["a\x00b", "a\nb", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"])
def test_title_with_control_characters_or_surrogates_is_refused(bad: str) -> None:
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title=bad)
    assert fields_in_error(exc) == {"title"}


@pytest.mark.parametrize("title", ["🥛 milk", "שלום עולם", "مرحبا", "Ünïcödé"])
def test_title_accepts_emoji_and_right_to_left_text(title: str) -> None:
    assert TaskContent(title=title).title == title


def test_description_keeps_newlines_and_tabs() -> None:
    assert TaskContent(title="t", description="a\n\tb\r\n").description == "a\n\tb\r\n"


def test_description_at_the_limit_is_accepted_and_one_more_is_refused() -> None:
    TaskContent(title="t", description="d" * DESCRIPTION_MAX_LENGTH)
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title="t", description="d" * (DESCRIPTION_MAX_LENGTH + 1))
    assert fields_in_error(exc) == {"description"}


@pytest.mark.parametrize("bad", ["a\x00", "a\x0b", "\x1f"])
def test_description_with_other_control_characters_is_refused(bad: str) -> None:
    with pytest.raises(InvalidTask):
        TaskContent(title="t", description=bad)


def test_tags_drop_duplicates_and_keep_their_order() -> None:
    assert TaskContent(title="t", tags=("b", "a", "b", " a ")).tags == ("b", "a")


def test_twenty_tags_are_accepted_and_twenty_one_refused() -> None:
    TaskContent(title="t", tags=tuple(f"t{i}" for i in range(TAGS_MAX_COUNT)))
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title="t", tags=tuple(f"t{i}" for i in range(TAGS_MAX_COUNT + 1)))
    assert fields_in_error(exc) == {"tags"}


def test_a_tag_longer_than_the_limit_or_blank_is_refused() -> None:
    TaskContent(title="t", tags=("x" * TAG_MAX_LENGTH,))
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title="t", tags=("ok", "x" * (TAG_MAX_LENGTH + 1), " "))
    assert fields_in_error(exc) == {"tags[1]", "tags[2]"}


def test_due_at_is_stored_in_utc() -> None:
    paris_morning = datetime(2026, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    assert TaskContent(title="t", due_at=paris_morning).due_at == datetime(2026, 5, 1, 7, 0, tzinfo=UTC)


def test_due_at_without_an_offset_is_refused() -> None:
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title="t", due_at=datetime(2026, 5, 1, 9, 0))
    assert fields_in_error(exc) == {"due_at"}


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"])
def test_known_iana_time_zones_are_accepted(zone: str) -> None:
    assert TaskContent(title="t", time_zone=zone).time_zone == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "europe/paris", "+02:00"])
def test_unknown_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(InvalidTask):
        TaskContent(title="t", time_zone=zone)


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(InvalidTask) as exc:
        TaskContent(title="", description="\x00", time_zone="Nowhere/Land")
    assert fields_in_error(exc) == {"title", "description", "time_zone"}


def test_priorities_rank_none_low_medium_high() -> None:
    assert [p.rank for p in (Priority.NONE, Priority.LOW, Priority.MEDIUM, Priority.HIGH)] == [0, 1, 2, 3]


def test_an_unknown_priority_is_refused() -> None:
    with pytest.raises(InvalidTask):
        TaskContent(title="t", priority="urgent")  # type: ignore[arg-type]


def test_a_new_task_starts_at_version_one_with_both_timestamps_from_the_clock() -> None:
    task = make_task(user())
    assert (task.version, task.created_at, task.updated_at, task.completed_at) == (1, T0, T0, None)


def test_a_task_created_completed_has_its_completion_time() -> None:
    assert make_task(user(), completed=True).completed_at == T0


COMPLETE, REOPEN = TaskPatch.of(completed=True), TaskPatch.of(completed=False)


def test_completing_sets_completed_at_and_bumps_the_version() -> None:
    done = make_task(user()).revised(COMPLETE, LATER)
    assert (done.content.completed, done.completed_at, done.version, done.updated_at) == (
        True,
        LATER,
        2,
        LATER,
    )


def test_reopening_clears_completed_at() -> None:
    reopened = make_task(user()).revised(COMPLETE, LATER).revised(REOPEN, LATER + timedelta(minutes=1))
    assert (reopened.content.completed, reopened.completed_at, reopened.version) == (False, None, 3)


def test_completing_a_completed_task_changes_nothing() -> None:
    done = make_task(user()).revised(COMPLETE, LATER)
    assert done.revised(COMPLETE, LATER + timedelta(hours=1)) is done


def test_a_change_of_something_else_keeps_the_completion_time() -> None:
    done = make_task(user()).revised(COMPLETE, LATER)
    renamed = done.revised(TaskPatch.of(title="Renamed"), LATER + timedelta(hours=1))
    assert (renamed.completed_at, renamed.version) == (LATER, 3)


def test_a_patch_changes_only_the_fields_it_carries() -> None:
    task = make_task(user(), description="keep me", tags=("home",))
    patched = task.revised(TaskPatch.of(title="New title"), LATER)
    assert patched.content == TaskContent(title="New title", description="keep me", tags=("home",))
    assert patched.version == 2


def test_an_empty_patch_or_one_repeating_current_values_is_a_no_op() -> None:
    task = make_task(user())
    assert task.revised(TaskPatch(), LATER) is task
    assert task.revised(TaskPatch.of(title="Buy milk", completed=False), LATER) is task


def test_a_patch_with_none_clears_due_at() -> None:
    task = make_task(user(), due_at=T0)
    assert task.revised(TaskPatch.of(due_at=None), LATER).content.due_at is None


def test_a_patch_sets_only_the_fields_it_names_none_included() -> None:
    assert TaskPatch().changes() == {}
    assert TaskPatch.of(due_at=None).changes() == {"due_at": None}


def test_a_patch_knows_only_content_fields() -> None:
    with pytest.raises(ValueError, match="version"):
        TaskPatch.of(version=9)


def test_a_patch_lists_its_fields_in_declaration_order_whatever_order_they_came_in() -> None:
    assert TaskPatch.of(tags=("a",), title="t") == TaskPatch.of(title="t", tags=("a",))
    assert [name for name, _ in TaskPatch.of(tags=("a",), title="t")] == ["title", "tags"]


def test_replacing_resets_absent_fields_to_their_defaults() -> None:
    task = make_task(user(), description="old", priority=Priority.HIGH, tags=("a",))
    replaced = task.revised(TaskPatch.replacing(TaskContent(title="Only a title")), LATER)
    assert replaced.content == TaskContent(title="Only a title")


def test_an_invalid_patch_leaves_the_task_as_it_was() -> None:
    task = make_task(user())
    with pytest.raises(InvalidTask):
        task.revised(TaskPatch.of(title=" "), LATER)
    assert task.content.title == "Buy milk"


def test_the_fields_of_a_new_task_take_the_defaults_of_those_absent() -> None:
    assert TaskPatch.of(title="t", tags=("x",)).new_content() == TaskContent(title="t", tags=("x",))


def test_ownership_is_by_user_id() -> None:
    owner = user()
    task = make_task(owner)
    assert task.is_owned_by(owner)
    assert not task.is_owned_by(user())


# --- one declaration of the fields and of the revision rule ---------------------------------------


def test_every_content_field_has_a_rule_and_every_rule_a_field() -> None:
    assert field_rule_names() == set(CONTENT_FIELD_NAMES)


def test_the_revision_rule_names_fields_a_task_has() -> None:
    names = {f.name for f in dataclasses.fields(Task)}
    assert {REVISION.counter, REVISION.clock} <= names
    for stamp in REVISION.stamps:
        assert stamp.field in names
        assert stamp.flag in CONTENT_FIELD_NAMES


def test_a_validated_patch_is_normalised_as_content_would_be() -> None:
    paris = timezone(timedelta(hours=1))
    patch = TaskPatch.of(
        title="  Buy milk ", due_at=datetime(2026, 3, 1, 10, 0, tzinfo=paris), tags=("a", "b", "a")
    )
    assert patch.validated() == TaskPatch.of(
        title="Buy milk", due_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tags=("a", "b")
    )


def test_a_validated_patch_names_every_broken_rule_before_any_task_is_read() -> None:
    bad = TaskPatch.of(title=" ", description="\x00", time_zone="Mars/Olympus", tags=("",), priority="urgent")
    with pytest.raises(InvalidTask) as exc:
        bad.validated()
    assert fields_in_error(exc) == {"title", "description", "time_zone", "tags[0]", "priority"}


def test_a_validated_patch_changes_a_task_as_the_patch_itself_does() -> None:
    task = make_task(user(), "Buy milk", tags=("home",))
    patch = TaskPatch.of(title=" Buy oat milk ", tags=("home", "shop", "home"), priority=Priority.HIGH)
    assert task.revised(patch.validated(), LATER) == task.revised(patch, LATER)
