"""What the user's own words say: which clauses are requests, which names and numbers they give.

The write guard (guards.py) holds every model proposal to this reading of the request text,
never to the model's. The reading is deliberately conservative:
- a sentence ending in "?" or opening with a question word is a question, not a request
  ("can you / could you / please ..." openers are polite requests);
- words after a negation in the same clause ("not like X", "except X", "don't restart") are
  negated: they never name a target, a namespace or a value;
- a number counts only as a standalone word ("web-2" does not say 2) or a number word, and
  as a value only when said with the phrase of its field ("to 3", "3 replicas",
  "--replicas 3", "revision 4", "tail 50 lines"), in the clause it is said about: "in 5
  minutes", "(currently 10)" and "it has 10 replicas" say no value;
- indirect questions ("tell me if I should ...", "I wonder whether ...") are questions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.parsing.vocabulary import FLAGS, KEYWORD_FIELDS, REPLICA_WORDS, ValueKind

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE_SPLIT = re.compile(r"\s*[,;:()\[\]]\s*|\s+(?:and|but|then|or|so)\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_QUESTION_OPENERS = frozenset(
    re.split(
        r"\s+",
        "what why how when where who whom which whose is are was were am do does did should "
        "shall can could would will has have had may might must isn't aren't doesn't didn't",
    )
)
_POLITE_REQUEST = re.compile(r"^(please\s+|pls\s+|kindly\s+)?(can|could|would|will)\s+you\b")
_FILLERS = frozenset(re.split(r"\s+", "please pls kindly just now also hey ok okay so then"))
# "tell me if I should restart web", "I wonder whether ...": a question said as a statement
_INDIRECT_QUESTION = re.compile(
    r"^(?:(?:please|pls|kindly|just|and|but|then|so|also|now|ok|okay|hey)\s+)*"
    r"(?:(?:can|could|would|will)\s+you\s+)?"
    r"(?:tell\s+me|show\s+me|explain(?:\s+to\s+me)?|let\s+me\s+know|i\s+want\s+to\s+know"
    r"|i'?d\s+like\s+to\s+know|i\s+wonder|i'?m\s+wondering|i\s+am\s+wondering|wondering"
    r"|do\s+you\s+think|any\s+idea|no\s+idea)"
    r"\s+(?:if|whether|how|what|why|when|which|who|where)\b"
)
_NEGATION = re.compile(
    r"\b(not|no|never|without|except|excluding|unlike|instead\s+of|rather\s+than|other\s+than)\b"
    r"|n't\b|\b(dont|cant|wont|shouldnt|isnt|arent)\b"
)
NUMBER_WORDS: dict[str, int] = {
    word: value
    for value, word in enumerate(
        re.split(
            r"\s+",
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty",
        )
    )
}


# apostrophes phones and Slack type ("don\u2019t") read as "'", so negations stay negations
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u2032\u00b4`", "'"))
_QUESTION_TAIL = " \t!.)]}\"'\u00bb\u201d"


def normalise(text: str) -> str:
    """NFKC, lower case, format characters (zero-width, soft hyphen) removed, apostrophes
    unified."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _words(text: str) -> list[str]:
    return [w.strip(".-_") for w in _WORD.findall(text) if w.strip(".-_")]


@dataclass(frozen=True)
class Clause:
    """One clause of the request: its words before and after a negation."""

    text: str
    question: bool
    positive: tuple[str, ...]
    negated: tuple[str, ...]
    positive_text: str
    sentence: int = 0
    values: tuple[tuple[str, int], ...] = ()

    @property
    def lead(self) -> str:
        """The clause's first word that is not a filler, article or object type: its verb, the
        name it is about ("and api to 3") or a connective ("in 5 minutes")."""
        for word in self.positive:
            if word not in _LEAD_SKIP:
                return word
        return ""

    def said(self, field: str) -> frozenset[int]:
        """The numbers this clause says as `field` ("@to": said after "to")."""
        return frozenset(v for f, v in self.values if f == field)


def _opens_question(text: str) -> bool:
    if _INDIRECT_QUESTION.match(text.strip()):
        return True
    if _POLITE_REQUEST.match(text):
        return False
    words = [w for w in re.findall(r"[a-z']+", text) if w not in _FILLERS]
    return bool(words) and words[0] in _QUESTION_OPENERS


def _is_question(sentence: str) -> bool:
    if _POLITE_REQUEST.match(sentence):
        return False
    # "restart web?!" and "(restart web?)" are questions too
    return sentence.rstrip(_QUESTION_TAIL).endswith("?") or _opens_question(sentence)


def _clause(text: str, *, question: bool, sentence: int) -> Clause:
    negation = _NEGATION.search(text)
    cut = negation.start() if negation else len(text)
    return Clause(
        text=text,
        question=question or _opens_question(text),
        positive=tuple(_words(text[:cut])),
        negated=tuple(_words(text[cut:])),
        positive_text=text[:cut],
        sentence=sentence,
        values=said_values(text[:cut]),
    )


@dataclass(frozen=True)
class Wording:
    """The request text read once: clauses, named words, negated words and numbers said."""

    text: str
    clauses: tuple[Clause, ...]

    @classmethod
    def of(cls, text: str) -> Wording:
        clean = _THOUSANDS.sub("", normalise(text))
        clauses: list[Clause] = []
        for index, sentence in enumerate(_SENTENCE_END.split(clean)):
            sentence = sentence.strip()
            if not sentence:
                continue
            question = _is_question(sentence)
            clauses += [
                _clause(part, question=question, sentence=index)
                for part in _CLAUSE_SPLIT.split(sentence)
                if part.strip()
            ]
        return cls(text=clean, clauses=tuple(clauses))

    @property
    def requests(self) -> tuple[Clause, ...]:
        """Clauses that ask for something (not questions)."""
        return tuple(c for c in self.clauses if not c.question)

    @property
    def positive_words(self) -> frozenset[str]:
        return frozenset(w for c in self.clauses for w in c.positive)

    @property
    def negated_words(self) -> frozenset[str]:
        return frozenset(w for c in self.clauses for w in c.negated)

    def names(self, name: str) -> bool:
        """Did the user name `name` as something to act on (and never in a negation)?"""
        lowered = name.lower()
        return lowered in self.positive_words and lowered not in self.negated_words

    def names_as(self, name: str, nouns: frozenset[str]) -> bool:
        """Did the user name `name` as one of `nouns` ("context admin", "the admin cluster",
        "--context admin")? A word that merely equals it ("the admin team") does not count."""
        lowered = name.lower()
        if not self.names(lowered):
            return False
        for clause in self.clauses:
            words = [w.lstrip("-") for w in clause.positive]
            for i, word in enumerate(words):
                if word != lowered:
                    continue
                near = {*words[max(i - 2, 0) : i], *words[i + 1 : i + 2]}
                if near & nouns:
                    return True
        return False

    def negates(self, name: str) -> bool:
        return name.lower() in self.negated_words

    @property
    def numbers(self) -> frozenset[int]:
        """Every number the user said outside a negation: digits or a number word."""
        found: set[int] = set()
        for word in self.positive_words:
            if word.isdigit():
                found.add(int(word))
            elif word in NUMBER_WORDS:
                found.add(NUMBER_WORDS[word])
        return frozenset(found)


# ---------------------------------------------------------------- values tied to their field
_NUMBER = rf"(?<![\w.-])(\d+|{'|'.join(NUMBER_WORDS)})(?![\w-]|\.\w)"
_FLAG_FIELDS: dict[str, str] = {
    flag.lower(): spec.field
    for flag, spec in FLAGS.items()
    if spec.value == ValueKind.TEXT and flag.startswith("--")
} | {flag: spec.field for flag, spec in FLAGS.items() if flag == "-t"}
_REPLICAS = "|".join(sorted(REPLICA_WORDS | {"instance", "instances", "copies"}))
# English phrases per catalog field ("to" sets the command's `to_field`: KEYWORD_FIELDS)
_FIELD_PHRASES: dict[str, tuple[str, ...]] = {
    "replicas": (
        rf"\b(?:{_REPLICAS})\s*(?:to|=|:|of)?\s*{_NUMBER}",
        rf"{_NUMBER}\s+(?:{_REPLICAS})\b",
    ),
    "to_revision": (rf"\b(?:revision|rev|version)\s*(?:#|no\.?|number)?\s*{_NUMBER}",),
    "tail_lines": (rf"\b(?:tail|last|first)\s+{_NUMBER}", rf"{_NUMBER}\s+lines?\b"),
    "grace_period_seconds": (rf"\bgrace(?:\s+period)?\s*(?:of|=|:)?\s*{_NUMBER}",),
    "timeout_seconds": (
        rf"\btimeout\s*(?:of|=|:)?\s*{_NUMBER}",
        rf"{_NUMBER}[\s-]*(?:s|secs?|seconds?)\s+timeout\b",
    ),
    "limit": (rf"\blimit\s*(?:of|to|=|:)?\s*{_NUMBER}",),
    KEYWORD_FIELDS["to"]: (rf"\bto\s+{_NUMBER}",),
}
# a flag's word said without its dashes: "min 2 max 10" says what `--min 2 --max 10` says
# (numeric fields only, and not words too common to mean the flag: "time")
_BARE_FLAG_WORDS: dict[str, str] = {
    flag.removeprefix("--"): field
    for flag, field in _FLAG_FIELDS.items()
    if flag.startswith("--")
    and field in _FIELD_PHRASES.keys() | {"min_replicas", "max_replicas"}
    and flag != "--time"
} | {"minimum": "min_replicas", "maximum": "max_replicas"}
_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    tuple(
        (field, re.compile(f"(?<![\\w-]){re.escape(flag)}(?:\\s+|=){_NUMBER}"))
        for flag, field in _FLAG_FIELDS.items()
    )
    + tuple(
        (field, re.compile(rf"(?<![\w-]){re.escape(word)}\s*(?:=|:|of|to)?\s*{_NUMBER}"))
        for word, field in _BARE_FLAG_WORDS.items()
    )
    + tuple(
        (field, re.compile(phrase))
        for field, phrases in _FIELD_PHRASES.items()
        for phrase in phrases
    )
)
# a count said about the present, not asked for: "(currently 10)", "it has 10 replicas"
_STATE = re.compile(
    r"\b(currently|presently|already|still|has|have|had|is|are|was|were|from|running|been)"
    r"(\s+[a-z]\S*){0,2}\s*$"
)
# words a clause may open with before its subject; connectives keep the clause's subject
_LEAD_SKIP = _FILLERS | frozenset(
    re.split(
        r"\s+",
        "and but or the a an its it their both too pod pods deployment deployments "
        "deploy container containers",
    )
)
CONNECTIVES = (
    frozenset(
        re.split(
            r"\s+", "to in on at with for from by using via into of within inside after before"
        )
    )
    | REPLICA_WORDS
)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def said_values(text: str) -> tuple[tuple[str, int], ...]:
    """(field, number) for each number `text` says with a field's phrase; each pattern is a
    plain regular expression (linear in the text)."""
    found: list[tuple[str, int]] = []
    for field, pattern in _VALUE_PATTERNS:
        for match in pattern.finditer(text):
            if not _STATE.search(text[: match.start()]):
                found.append((field, _number(match.group(1))))
    return tuple(dict.fromkeys(found))
