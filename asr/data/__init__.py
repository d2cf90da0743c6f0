"""Data pipeline: Kaldi dirs → validated lhotse cuts → Kaldi fbank → padded ``Batch``es."""
