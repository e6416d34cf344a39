"""The published emotional speech corpora: names, label codes, layouts and where to get them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from bsbench_plugins.datasets.corpora.names import (
    CREMA_D_CODES,
    EMODB_CODES,
    RAVDESS_CODES,
    SAVEE_CODES,
    TESS_CODES,
    ParsedName,
    parse_crema_d,
    parse_emodb,
    parse_ravdess,
    parse_savee,
    parse_tess,
)


@dataclass(frozen=True)
class CorpusFormat:
    """Everything that differs between two corpora; the loading itself is shared."""

    name: str
    description: str
    parse: Callable[[PurePosixPath], ParsedName]
    #: The corpus's emotion codes -> canonical labels.
    codes: Mapping[str, str]
    #: What whole groups go to one split: "speaker", or "text" where speakers are too few.
    split_unit: str
    #: What the data folder should hold, for the error a user sees when it does not.
    layout: str
    #: Published size, for the docs and ``data info``: clips / classes / speakers.
    published: tuple[int, int, int]
    #: Kaggle dataset handle for ``bsbench data download``, if the corpus is on Kaggle.
    kaggle: str | None
    homepage: str


TESS = CorpusFormat(
    name="tess",
    description="Toronto Emotional Speech Set: 2 speakers x 200 words x 7 emotions (word-disjoint split).",
    parse=parse_tess,
    codes=TESS_CODES,
    split_unit="text",
    layout="folders such as OAF_angry/ holding OAF_back_angry.wav (the Kaggle zip, unpacked, works as is)",
    published=(2800, 7, 2),
    kaggle="ejlok1/toronto-emotional-speech-set-tess",
    homepage="https://doi.org/10.5683/SP2/E8H2MF",
)
CREMA_D = CorpusFormat(
    name="crema-d",
    description="CREMA-D: 91 actors, 12 sentences, 6 emotions (speaker-independent split).",
    parse=parse_crema_d,
    codes=CREMA_D_CODES,
    split_unit="speaker",
    layout="AudioWAV/ holding files such as 1001_DFA_ANG_XX.wav",
    published=(7442, 6, 91),
    kaggle="ejlok1/cremad",
    homepage="https://github.com/CheyneyComputerScience/CREMA-D",
)
RAVDESS = CorpusFormat(
    name="ravdess",
    description="RAVDESS speech: 24 actors, 8 emotions incl. calm (speaker-independent split; song files left out).",
    parse=parse_ravdess,
    codes=RAVDESS_CODES,
    split_unit="speaker",
    layout="Actor_01/ ... Actor_24/ holding files such as 03-01-06-01-02-01-12.wav",
    published=(1440, 8, 24),
    kaggle="uwrfkaggler/ravdess-emotional-speech-audio",
    homepage="https://doi.org/10.5281/zenodo.1188976",
)
SAVEE = CorpusFormat(
    name="savee",
    description="SAVEE: 4 male speakers, 7 emotions (speaker-independent split).",
    parse=parse_savee,
    codes=SAVEE_CODES,
    split_unit="speaker",
    layout="ALL/ holding DC_a01.wav ... (Kaggle) or AudioData/DC/a01.wav ... (original)",
    published=(480, 7, 4),
    kaggle="ejlok1/surrey-audiovisual-expressed-emotion-savee",
    homepage="http://kahlan.eps.surrey.ac.uk/savee/",
)
EMODB = CorpusFormat(
    name="emodb",
    description="Berlin Database of Emotional Speech: 10 speakers, 7 emotions incl. boredom (speaker-independent).",
    parse=parse_emodb,
    codes=EMODB_CODES,
    split_unit="speaker",
    layout="wav/ holding files such as 03a01Fa.wav",
    published=(535, 7, 10),
    kaggle=None,
    homepage="http://emodb.bilderbar.info/",
)

FORMATS = (TESS, CREMA_D, RAVDESS, SAVEE, EMODB)
