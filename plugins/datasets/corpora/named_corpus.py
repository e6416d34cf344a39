"""A dataset plugin for a corpus whose file names carry the labels (TESS, CREMA-D, ...)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from bsbench_plugins.datasets.corpora.download import download_corpus
from bsbench_plugins.datasets.corpora.formats import CorpusFormat
from bsbench_plugins.datasets.corpora.loading import AudioCorpusOptions, Recording, build_corpus, data_folder
from bsbench_plugins.datasets.corpora.names import UnreadableName

from bsbench.plugin import Corpus, DatasetRequest, SkippedFile, build_parameters, discover_audio


class NamedCorpusDataset:
    """Loads one published corpus from the folder its download unpacks to."""

    #: 1.1.0: SAVEE's original layout (DC/a01.wav) names clips DC_a01, so no speaker's take is lost to another's.
    version = "1.1.0"

    def __init__(self, corpus_format: CorpusFormat) -> None:
        self.format = corpus_format
        self.name = corpus_format.name
        self.description = corpus_format.description
        #: What the data folder holds; named in the error when it is missing.
        self.layout = corpus_format.layout

    def load(self, request: DatasetRequest) -> Corpus:
        owner = f"dataset {self.name}"
        options = build_parameters(AudioCorpusOptions, request.options, owner)
        options.check(self.name)
        discovery = discover_audio(data_folder(request, self.name, self.format.layout), self.name, self.format.layout)
        skipped = list(discovery.skipped)
        recordings = []
        for path in discovery.audio:
            relative = discovery.relative(path)
            try:
                parsed = self.format.parse(PurePosixPath(relative))
            except UnreadableName as problem:
                skipped.append(SkippedFile(relative, str(problem)))
                continue
            group = parsed.speaker if self.format.split_unit == "speaker" else parsed.text
            details = {**parsed.details, "text": parsed.text}
            clip_id = parsed.clip_id or PurePosixPath(relative).stem
            recordings.append(Recording(path, relative, parsed.code, parsed.speaker, group, clip_id, details))
        return build_corpus(
            self.name,
            recordings,
            self.format.codes,
            options,
            request.seed,
            skipped=skipped,
            split_policy=self._split_policy(options, request.seed),
            split_unit="speakers" if self.format.split_unit == "speaker" else "words",
            warnings=self._warnings(),
        )

    def download(self) -> Path:
        """Fetch the corpus (kagglehub); the folder to pass as ``--data-dir``."""
        return download_corpus(self.format)

    def _split_policy(self, options: AudioCorpusOptions, seed: int) -> str:
        unit = "speaker-independent" if self.format.split_unit == "speaker" else "word-disjoint"
        groups = "speakers" if self.format.split_unit == "speaker" else "words"
        return (
            f"{unit}: {options.test_fraction:g} of {groups} to test, {options.validation_fraction:g} to validation, "
            f"drawn with seed {seed}"
        )

    def _warnings(self) -> tuple[str, ...]:
        if self.format.split_unit == "speaker":
            return ()
        return (
            f"{self.name} has only {self.format.published[2]} speakers: the split keeps each word in one split "
            "but the test speakers are also training speakers, so accuracy here overstates accuracy on new voices",
        )
