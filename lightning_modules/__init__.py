"""LightningModules wrapping the plain ``nn.Module``s of ``models``. ``Seq2SeqModule`` is imported on first use, so
that inference-only code (``lightning_modules.inference``, ``translator``) starts without loading Lightning."""
from __future__ import annotations

__all__ = ["Seq2SeqModule"]


def __getattr__(name: str):
    if name == "Seq2SeqModule":
        from lightning_modules.seq2seq_module import Seq2SeqModule

        return Seq2SeqModule
    raise AttributeError(f"module 'lightning_modules' has no attribute {name!r}")
