"""LightningModules wrapping the plain ``nn.Module``s in ``lightning_modules.nn``."""
from lightning_modules.seq2seq_module import Seq2SeqModule

__all__ = ["Seq2SeqModule"]
