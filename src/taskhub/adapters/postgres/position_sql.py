"""`positions.key_after` in PL/pgSQL, as `taskhub_position_after(last)`: an INSERT places a new task
after its last sibling in the statement itself, with no round trip to read that sibling's key.

The function is STRICT: a NULL key (no sibling) gives NULL, not `positions.FIRST`, so callers write
`coalesce(taskhub_position_after(last), 'a0')`. `last` must be the greatest key byte-wise, as in
`max(position COLLATE "C")` or placement.py's `ORDER BY position COLLATE "C" DESC LIMIT 1`: a plain
`max(position)` follows the database's collation, in which 'B' may sort between 'a' and 'z'. For
the same reason the function compares text in the "C" collation. Like the Python, it refuses a
malformed key, with SQLSTATE 22023 (invalid_parameter_value), rather than place a row after it.
tests/adapters/test_position_sql.py holds it equal to the Python.

The migration that creates the function imports these strings; a change to the function is a new
migration, which runs `CREATE_POSITION_AFTER` again (CREATE OR REPLACE).
"""

from __future__ import annotations

from typing import Final

CREATE_POSITION_AFTER: Final = """
CREATE OR REPLACE FUNCTION taskhub_position_after(last text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    -- Base-62 digits in ASCII order: a digit's value is its offset here.
    digits CONSTANT text COLLATE "C" := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    key CONSTANT text COLLATE "C" := last;
    head CONSTANT text COLLATE "C" := left(last, 1);
    -- The head tells the integer part's length: 'a'..'z' 2..27 characters, 'A'..'Z' 27..2.
    integer_length CONSTANT integer := CASE
        WHEN head BETWEEN 'a' AND 'z' THEN ascii(head) - ascii('a') + 2
        WHEN head BETWEEN 'A' AND 'Z' THEN ascii('Z') - ascii(head) + 2
    END;
    body text COLLATE "C";  -- the integer part's digits, after the head
    fraction text COLLATE "C";
    i integer;
    digit integer;
BEGIN
    -- positions.is_valid_key: base-62 digits, a whole integer part, no trailing '0' in the
    -- fraction, and not the smallest integer alone.
    IF integer_length IS NULL
        OR key !~ '^[0-9A-Za-z]+$'
        OR length(key) < integer_length
        OR (length(key) > integer_length AND right(key, 1) = '0')
        OR key = 'A' || repeat('0', 26)
    THEN
        RAISE EXCEPTION 'invalid position key: "%"', last USING ERRCODE = 'invalid_parameter_value';
    END IF;
    body := substr(key, 2, integer_length - 1);
    fraction := substr(key, integer_length + 1);

    -- The next integer: its last digit that is not 'z' goes up by one, the 'z's after it carry
    -- to '0'. A whole integer is the shortest key after this one.
    i := length(body);
    WHILE i > 0 AND substr(body, i, 1) = 'z' LOOP
        i := i - 1;
    END LOOP;
    IF i > 0 THEN
        RETURN head
            || left(body, i - 1)
            || substr(digits, strpos(digits, substr(body, i, 1)) + 1, 1)
            || repeat('0', length(body) - i);
    END IF;

    -- Every digit carried: the next integer crosses from -1 to 0, or takes the next head and is
    -- one digit longer (positive) or shorter (negative).
    IF head = 'Z' THEN
        RETURN 'a0';
    ELSIF head >= 'a' AND head < 'z' THEN
        RETURN chr(ascii(head) + 1) || repeat('0', length(body) + 1);
    ELSIF head < 'Z' THEN
        RETURN chr(ascii(head) + 1) || repeat('0', length(body) - 1);
    END IF;

    -- Past the largest integer only the fraction can grow: halfway from it to the open end, that
    -- is its leading 'z's, then the digit halfway between its next digit and 62.
    i := 1;
    WHILE i <= length(fraction) AND substr(fraction, i, 1) = 'z' LOOP
        i := i + 1;
    END LOOP;
    IF i > length(fraction) THEN
        digit := 0;  -- past its end a fraction reads as '0's
    ELSE
        digit := strpos(digits, substr(fraction, i, 1)) - 1;
    END IF;
    RETURN left(key, integer_length + i - 1) || substr(digits, (digit + 62 + 1) / 2 + 1, 1);
END
$$
"""

DROP_POSITION_AFTER: Final = "DROP FUNCTION IF EXISTS taskhub_position_after(text)"

# Where a new top-level task goes: after the last key among the owner's live top-level tasks of
# the list (NULL: the inbox). A function so that its read runs after the INSERT that calls it has
# taken the owner's lock: a VOLATILE function's queries each take a fresh snapshot, where the
# INSERT's own snapshot dates from before it waited for the lock, and would miss a move or a
# rebalance that committed meanwhile. Two queries, one per kind of place, so that each is an
# equality on the position index. Created by migration 0007.
CREATE_NEXT_TOP_LEVEL_POSITION: Final = """
CREATE OR REPLACE FUNCTION taskhub_next_top_level_position(p_owner text, p_list uuid) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    last_key text;
BEGIN
    IF p_list IS NULL THEN
        SELECT t.position INTO last_key FROM tasks AS t
        WHERE t.owner_id = p_owner AND t.list_id IS NULL AND t.parent_id IS NULL AND t.deleted_at IS NULL
        ORDER BY t.position COLLATE "C" DESC, t.id DESC
        LIMIT 1;
    ELSE
        SELECT t.position INTO last_key FROM tasks AS t
        WHERE t.owner_id = p_owner AND t.list_id = p_list AND t.parent_id IS NULL AND t.deleted_at IS NULL
        ORDER BY t.position COLLATE "C" DESC, t.id DESC
        LIMIT 1;
    END IF;
    RETURN coalesce(taskhub_position_after(last_key), 'a0');
END;
$$
"""
DROP_NEXT_TOP_LEVEL_POSITION: Final = "DROP FUNCTION IF EXISTS taskhub_next_top_level_position(text, uuid)"
