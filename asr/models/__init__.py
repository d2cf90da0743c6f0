"""Model building blocks and the joint CTC/attention ``ASRModel``."""

from asr.models.asr_model import ASRModel
from asr.models.decoder import DecoderState
from asr.models.dynamic_chunk import DynamicChunk
from asr.models.specaug import SpecAugment

__all__ = ["ASRModel", "DecoderState", "DynamicChunk", "SpecAugment"]
