"""Which DeViSE images train, which choose the checkpoint, and which the report scores.

- **Seen classes.** Their training images train the head. Their evaluation images are split per class into a
  validation part (checkpoint selection) and a test part (the report); a class with one evaluation image sends it to
  one side by a seeded draw. When the source's evaluation images *are* its training images (a flat folder with one
  image per class), seen-class scores measure a training-set fit, and reports say so.
- **Held-out classes** (zero-shot) never train. They are split into validation classes, whose images choose the
  checkpoint, and test classes, whose images the report scores.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Sequence

from core.errors import UserInputError
from datamodules.images.image_lists import hold_out_classes
from datamodules.images.items import Item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviseSplits:
    """Images per role and the two groups of held-out classes."""

    train: list[Item]
    val: list[Item]
    test: list[Item]
    heldout_val: list[str]
    heldout_test: list[str]
    seen_eval_is_fit: bool

    @property
    def heldout(self) -> list[str]:
        return sorted(self.heldout_val + self.heldout_test)

    def describe(self, stage: str) -> str:
        """One sentence on the images a stage (``"val"`` or ``"test"``) scores, for logs and report headers."""
        items, held = (self.val, self.heldout_val) if stage == "val" else (self.test, self.heldout_test)
        held_set = set(held)
        n_held = sum(c in held_set for _, c in items)
        seen = len(items) - n_held
        kind = "training images themselves (a fit, not held-out images)" if self.seen_eval_is_fit else \
            "evaluation images never trained on"
        return (f"{seen} images of {len({c for _, c in items if c not in held_set})} seen classes ({kind}) and "
                f"{n_held} images of {len(held)} held-out classes")


def _split_classes(held: Sequence[str], val: Sequence[str] | float, seed: int) -> tuple[list[str], list[str]]:
    held = sorted(held)
    if isinstance(val, (int, float)) and not isinstance(val, bool):
        if not 0.0 <= val <= 1.0:
            raise UserInputError(f"holdout_val={val}: give a fraction in [0, 1] of the held-out classes, or a list")
        order = held[:]
        random.Random(seed + 1).shuffle(order)
        chosen = set(order[: round(val * len(held))])
    else:
        chosen = set(val)
        unknown = sorted(chosen - set(held))
        if unknown:
            raise UserInputError(f"holdout_val classes {unknown[:5]} are not held out: list them in holdout too")
    return [c for c in held if c in chosen], [c for c in held if c not in chosen]


def _split_per_class(items: Sequence[Item], val_fraction: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Each class's images shuffled and cut ``val_fraction`` / rest; a class with one image goes to validation with
    probability ``val_fraction``. Both lists keep the input order."""
    rng = random.Random(seed + 2)
    by_class: dict[str, list[int]] = {}
    for i, (_, cid) in enumerate(items):
        by_class.setdefault(cid, []).append(i)
    to_val: set[int] = set()
    for cid in sorted(by_class):
        rows = by_class[cid][:]
        rng.shuffle(rows)
        n_val = round(val_fraction * len(rows)) if len(rows) > 1 else int(rng.random() < val_fraction)
        if len(rows) > 1 and 0 < val_fraction < 1:
            n_val = min(max(n_val, 1), len(rows) - 1)
        to_val.update(rows[:n_val])
    return ([it for i, it in enumerate(items) if i in to_val], [it for i, it in enumerate(items) if i not in to_val])


def plan_splits(classes: Sequence[str], train_items: Sequence[Item], eval_items: Sequence[Item],
                holdout: Sequence[str] | float | None, holdout_val: Sequence[str] | float, eval_val_fraction: float,
                seed: int, eval_is_train: bool) -> DeviseSplits:
    """Assign images and classes to their roles (see the module docstring); classes must already be merged."""
    held = sorted(hold_out_classes(classes, holdout, seed)[1]) if holdout else []
    held_val, held_test = _split_classes(held, holdout_val, seed) if held else ([], [])
    held_set = set(held)
    train = [it for it in train_items if it[1] not in held_set]
    seen_val, seen_test = _split_per_class([it for it in eval_items if it[1] not in held_set], eval_val_fraction, seed)
    val = seen_val + [it for it in eval_items if it[1] in set(held_val)]
    test = seen_test + [it for it in eval_items if it[1] in set(held_test)]
    splits = DeviseSplits(train, val, test, held_val, held_test, eval_is_train)
    log.info("validation (chooses the checkpoint): %s; test (the report): %s", splits.describe("val"),
             splits.describe("test"))
    return splits
