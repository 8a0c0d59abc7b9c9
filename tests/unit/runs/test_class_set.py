"""Class mode's class set (lenet/runs/class_set.py): nicknames, give, take back, review, caps, the held-out split by
visitor, concurrent gives from threads and processes, and the export."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from lenet import files
from lenet.data import my_digits
from lenet.runs import class_rules, public
from lenet.runs.class_set import ClassSet, ClassSetError

ALICE, BOB = public.owner_id("alice-token-0123456789"), public.owner_id("bob-token-0123456789")


def images(count, seed=0):
    """`count` different random 28×28 digits in [0, 1]."""
    return np.random.default_rng(seed).random((count, 28, 28)).astype("float32")


@pytest.fixture
def class_set():
    made = ClassSet()
    made.set_nickname(ALICE, "Alice")
    made.set_nickname(BOB, "Bob")
    return made


def test_the_class_set_lives_in_the_run_store():
    assert ClassSet().folder == files.runs_dir() / ".class"


def test_nicknames_are_stripped_plain_text_of_1_to_24_characters():
    class_set = ClassSet()
    assert class_set.set_nickname(ALICE, "  <b>Ada</b>  ") == "<b>Ada</b>"  # kept as typed; pages render text
    assert class_set.nickname(ALICE) == "<b>Ada</b>"
    assert class_set.set_nickname(ALICE, "x" * 24) == "x" * 24
    for too_long_or_empty in ("x" * 25, "", "   "):
        with pytest.raises(ClassSetError, match="1 to 24 characters|type a nickname"):
            class_set.set_nickname(ALICE, too_long_or_empty)
    for hidden in ("Ada\nLovelace", "tab\there", "bell\x07", "right\u202eleft", "zero\u200bwidth"):
        with pytest.raises(ClassSetError, match="no control or invisible characters"):
            class_set.set_nickname(ALICE, hidden)
    with pytest.raises(ClassSetError, match="text"):
        class_set.set_nickname(ALICE, 42)
    assert class_set.nickname(ALICE) == "x" * 24  # a refused nickname changes nothing


def test_nicknames_are_unique_in_the_class_ignoring_case():
    class_set = ClassSet()
    class_set.set_nickname(ALICE, "Ada")
    for same in ("ada", "ADA", " Ada "):
        with pytest.raises(ClassSetError, match="another visitor is called"):
            class_set.set_nickname(BOB, same)
    class_set.set_nickname(ALICE, "ADA")  # one's own nickname in another case is no clash
    assert class_set.nicknames() == {ALICE: "ADA"}


def test_a_visitor_id_must_be_an_owner_id():
    with pytest.raises(ClassSetError, match="not a visitor id"):
        ClassSet().set_nickname("../../etc", "Mallory")


def test_give_needs_a_nickname_and_stores_each_digit_once():
    class_set = ClassSet()
    with pytest.raises(ClassSetError, match="pick a nickname"):
        class_set.give(ALICE, images(1)[0], 3)
    class_set.set_nickname(ALICE, "Alice")
    digit_id = class_set.give(ALICE, images(1)[0], 3, prediction=5)
    assert class_set.give(ALICE, images(1)[0], 3) == digit_id  # "give all" twice keeps one copy
    [digit] = class_set.digits()
    assert (digit.digit_id, digit.owner, digit.kind, digit.label, digit.prediction) == (digit_id, ALICE, "given", 3, 5)
    np.testing.assert_allclose(digit.image, images(1)[0], atol=0.5 / 255)
    assert class_set.count() == class_set.count(ALICE) == 1 and class_set.count(BOB) == 0


def test_give_many_refuses_a_bad_digit_before_storing_any(class_set):
    with pytest.raises(ClassSetError, match="label"):
        class_set.give_many(ALICE, images(3), [1, 2, 12])
    with pytest.raises(ClassSetError, match="28×28"):
        class_set.give_many(ALICE, [images(1)[0], np.zeros((5, 5))], [1, 2])
    with pytest.raises(ClassSetError, match="from 0 to 1"):
        class_set.give_many(ALICE, [images(1)[0], np.full((28, 28), 2.0)], [1, 2])
    assert class_set.count() == 0
    assert len(class_set.give_many(ALICE, images(3), [1, 2, 3])) == class_set.count() == 3


def test_a_visitor_takes_back_only_their_own_digits(class_set):
    mine, theirs = class_set.give(ALICE, images(1, seed=1)[0], 1), class_set.give(BOB, images(1, seed=2)[0], 2)
    with pytest.raises(ClassSetError, match="only digits you gave yourself"):
        class_set.take_back(ALICE, theirs)
    with pytest.raises(ClassSetError, match="not a class digit's id"):
        class_set.take_back(ALICE, "../" + theirs)
    class_set.take_back(ALICE, mine)
    assert [digit.digit_id for digit in class_set.digits()] == [theirs]
    with pytest.raises(ClassSetError, match="removed already"):
        class_set.take_back(ALICE, mine)


def test_the_host_reviews_by_label_removes_any_digit_and_accepts_fooling_ones(class_set):
    plain = class_set.give(ALICE, images(1, seed=1)[0], 4)
    fooling = class_set.give(BOB, images(1, seed=2)[0], 7, fooling=True, prediction=1)
    grid = class_set.by_label()
    assert [digit.digit_id for digit in grid[4]] == [plain] and [d.digit_id for d in grid[7]] == [fooling]
    assert [digit.digit_id for digit in class_set.digits("fooling")] == [fooling]
    with pytest.raises(ClassSetError, match="not a fooling digit"):
        class_set.accept_fooling(plain)
    accepted = class_set.accept_fooling(fooling)
    assert [digit.digit_id for digit in class_set.digits("accepted")] == [accepted] and not class_set.digits("fooling")
    class_set.review_remove(plain)
    class_set.review_remove(accepted)
    assert class_set.digits() == [] and class_set.count() == 0


def test_the_per_visitor_cap_holds_exactly(class_set, monkeypatch):
    monkeypatch.setattr(class_rules, "MAX_VISITOR_DIGITS", 5)
    class_set.give_many(ALICE, images(4), [0, 1, 2, 3])
    with pytest.raises(ClassSetError, match="at most 5 digits; you have given 4, so 1 more fit"):
        class_set.give_many(ALICE, images(2, seed=9), [0, 1])  # all or nothing
    class_set.give(ALICE, images(1, seed=9)[0], 4, fooling=True)  # fooling digits count too
    with pytest.raises(ClassSetError, match="at most 5"):
        class_set.give(ALICE, images(1, seed=10)[0], 4)
    assert class_set.count(ALICE) == 5
    class_set.give(BOB, images(1, seed=11)[0], 4)  # another visitor's share is their own


def test_the_total_cap_holds_exactly(class_set, monkeypatch):
    monkeypatch.setattr(class_rules, "MAX_CLASS_DIGITS", 6)
    class_set.give_many(ALICE, images(4), [0] * 4)
    with pytest.raises(ClassSetError, match="the class set is full: it holds at most 6 digits and has 4"):
        class_set.give_many(BOB, images(3, seed=1), [0] * 3)
    class_set.give_many(BOB, images(2, seed=1), [0] * 2)
    assert class_set.count() == 6


def test_the_caps_are_named_once_with_the_issues_numbers():
    assert (class_rules.MAX_CLASS_DIGITS, class_rules.MAX_VISITOR_DIGITS) == (5_000, 200)


def test_a_fifth_of_the_visitors_are_held_out_with_all_their_digits():
    class_set = ClassSet()
    owners = [public.owner_id(f"visitor-{number}-token") for number in range(100)]
    held_out = [owner for owner in owners if class_rules.is_held_out(owner)]
    assert 12 <= len(held_out) <= 28  # about a fifth
    for number, owner in enumerate(owners[:20]):
        class_set.set_nickname(owner, f"visitor {number}")
        class_set.give_many(owner, images(3, seed=number), [number % 10] * 3)
    train_images, _ = class_set.training_arrays()
    test_images, _ = class_set.held_out_arrays()
    assert len(train_images) + len(test_images) == 60 and len(test_images) > 0 and len(train_images) > 0
    for number, owner in enumerate(owners[:20]):  # a visitor's digits are all on one side
        side = test_images if class_rules.is_held_out(owner) else train_images
        assert all(any(np.allclose(image, kept, atol=0.5 / 255) for kept in side) for image in images(3, seed=number))


def test_fooling_digits_train_and_measure_only_once_accepted(class_set):
    trainer = ALICE if not class_rules.is_held_out(ALICE) else BOB
    class_set.give(trainer, images(1)[0], 2)
    fooling = class_set.give(trainer, images(1, seed=1)[0], 5, fooling=True)
    assert len(class_set.training_arrays()[1]) == 1 and len(class_set.fooling_arrays()[1]) == 0
    class_set.accept_fooling(fooling)
    assert sorted(class_set.training_arrays()[1]) == [2, 5] and list(class_set.fooling_arrays()[1]) == [5]


def test_the_export_is_a_my_digits_export(class_set, tmp_path):
    class_set.give_many(ALICE, images(3), [1, 2, 3])
    class_set.give(BOB, images(1, seed=5)[0], 9, fooling=True)  # not reviewed yet: not exported
    imported = my_digits.import_npz(class_set.export_npz(), store_dir=tmp_path / "elsewhere")
    assert len(imported) == 3
    assert sorted(digit.label for digit in my_digits.list_digits(tmp_path / "elsewhere")) == [1, 2, 3]


def test_the_lock_can_be_taken_again_in_one_thread_but_still_excludes_others(class_set):
    entered = threading.Event()

    def other_thread():
        with class_set.lock():
            entered.set()

    with class_set.lock():
        class_set.give(ALICE, images(1)[0], 1)  # give takes the lock again inside: it must not wait on itself
        with class_set.lock():
            pass
        other = threading.Thread(target=other_thread)
        other.start()
        assert not entered.wait(0.5)  # another thread waits while this one holds the lock
    other.join()
    assert entered.is_set() and class_set.count() == 1


def test_ten_visitors_giving_from_threads_at_once_keep_every_digit_and_the_caps(monkeypatch):
    class_set = ClassSet()
    owners = [public.owner_id(f"thread-visitor-{number}") for number in range(10)]
    for number, owner in enumerate(owners):
        class_set.set_nickname(owner, f"thread {number}")
    monkeypatch.setattr(class_rules, "MAX_CLASS_DIGITS", 75)
    start, refused = threading.Barrier(10), []

    def give(number):
        start.wait()
        for index in range(10):
            try:
                class_set.give(owners[number], images(1, seed=number * 100 + index)[0], index)
            except ClassSetError:
                refused.append(number)

    threads = [threading.Thread(target=give, args=(number,)) for number in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert class_set.count() == len(class_set.digits()) == 75 and len(refused) == 25


GIVER = """
import sys
import numpy as np
from lenet.runs.class_set import ClassSet, ClassSetError
owner, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
refused = 0
for index in range(count):
    try:
        ClassSet().give(owner, np.random.default_rng(seed * 1000 + index).random((28, 28)), index % 10)
    except ClassSetError:
        refused += 1
print(refused)
"""


def test_visitors_giving_from_ten_processes_at_once_keep_every_digit_and_the_share_cap(class_set):
    """Five processes give as Alice, 60 digits each, past her share of 200; five more give 20 each as others."""
    others = [public.owner_id(f"process-visitor-{number}") for number in range(5)]
    for number, owner in enumerate(others):
        class_set.set_nickname(owner, f"process {number}")
    givers = [(ALICE, seed, 60) for seed in range(5)] + [(owner, 10 + n, 20) for n, owner in enumerate(others)]
    processes = [subprocess.Popen([sys.executable, "-c", GIVER, owner, str(seed), str(count)], stdout=subprocess.PIPE,
                                  cwd=files.PROJECT_ROOT, text=True, encoding="utf-8") for owner, seed, count in givers]
    refused = [int(process.communicate(timeout=300)[0]) for process in processes]
    assert [process.returncode for process in processes] == [0] * 10
    assert class_set.count(ALICE) == len(class_set.digits(owner=ALICE)) == 200 and sum(refused[:5]) == 100
    assert class_set.count() == len(class_set.digits()) == 300 and sum(refused[5:]) == 0
