"""Deterministic, explainable extraction of draft signals from a pasted article (issue 19; decisions.md 70).

No model, no network: gazetteers (shared/domain/gazetteer.py) find countries, materials, measures, statuses,
stage words and dates; a few rules on the sentence decide who restricts whom. Every value carries its evidence
(sentence, character span, why); what the text does not give is null (or a named default) with a note.

Rules, in the order a reviewer can follow them:
1. The text is split into sentences (keeping character offsets); abbreviations such as "U.S." do not end one.
2. A sentence with a measure phrase and a material is a trigger. A sentence with a measure phrase but no material
   adds its targets to the draft of the same issuer and measure (e.g. "... pressure on Tokyo").
3. In a trigger: a country after a target cue ("to Japan", "against the US", "on Tokyo", and the countries
   listed with it) is a target; a country after "from"/"by" is the issuer; otherwise the first other country
   before the measure phrase is the issuer. A sentence without one takes the issuer of the previous trigger or
   the first country of the sentence before ("They've been holding up...": the subject carried over).
4. Triggers with the same issuer and measure make one draft.
5. Dates: explicit and relative phrases are resolved against `published` with dateparser; a date after a start
   cue ("from", "effective", "comes into force") is `effective`, another is `announced`; none: `announced` is the
   published date (with a note).
6. Status: the first of lifted, suspended, reported, announced wordings; else announced when the start is after
   the published date, else in force (with a note).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from shared.domain.countries import COUNTRY_NAMES, is_country_code
from shared.domain.drafts import (
    DraftSignalFields,
    Evidence,
    ExtractedDraft,
    FieldNote,
    SiteMention,
)
from shared.domain.gazetteer import (
    AMBIGUOUS_MATERIAL_NAMES,
    EFFECTIVE_CUES,
    IMMEDIATE_EFFECT,
    ISSUER_CUES,
    MATERIAL_ALIASES,
    MEASURE_PHRASES,
    STAGE_PHRASES,
    STATUS_PHRASES,
    TARGET_CUES,
    country_phrases,
)
from shared.domain.models import ALL_TARGETS, Measure, SignalStatus, Stage
from shared.domain.signal_rows import SEVERITY_BY_MEASURE

#: the first MEASURE_PHRASES rows (the licence slow-down wordings) win over any other measure in a sentence
SPECIFIC_MEASURES = 3
#: the severity suggested for a measure that has no default (export_tax, other): a reviewer should set it
UNRATED_SEVERITY = 0.3
#: confidence of a value read directly, carried over from another sentence, or defaulted
READ, CARRIED, DEFAULTED = 1.0, 0.6, 0.4

_ABBREVIATIONS = frozenset(
    {
        "U.S",
        "U.K",
        "No",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "St",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Inc",
        "Ltd",
        "Co",
        "Corp",
        "vs",
        "e.g",
        "i.e",
        "approx",
    }
)
#: closing quotes after a full stop: " ' \u201d \u2019 )
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)]*(?=\s+|$)|\n\s*\n|\n")
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|{_DAY} {_MONTH},? \d{{4}}|{_MONTH} {_DAY},? \d{{4}}|{_DAY} {_MONTH}|"
    rf"{_MONTH} {_DAY}\b|(?:early |mid-|late )?{_MONTH} \d{{4}}|"
    r"(?i:last|next|this) (?:week|month|year)|(?i:yesterday|today)|"
    r"(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"\b(?:in|from|by|until|of) (?:19|20)\d{2}\b(?![-/]))"
)
_EFFECTIVE_BEFORE = re.compile(rf"\b{EFFECTIVE_CUES}\s*(?:the\s+)?$", re.IGNORECASE)
_TARGET_BEFORE = re.compile(rf"\b{TARGET_CUES}\s+(?:the\s+)?$", re.IGNORECASE)
_ISSUER_BEFORE = re.compile(rf"\b{ISSUER_CUES}\s+(?:the\s+)?$", re.IGNORECASE)
_LIST_JOIN = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)(?:the\s+)?$", re.IGNORECASE)
_STAGE_EXEMPT = re.compile(
    r"\b(?:exempt\w*|except\w*|excluding|not (?:affected|covered|included)|stays? exportable|remains? exportable|"
    r"still allowed|allowed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    value: str
    start: int
    end: int
    text: str
    why: str
    stage: str = ""


@dataclass
class _Draft:
    issuer: Mention | None
    issuer_why: str
    issuer_confidence: float
    measure: Mention
    measure_value: Measure
    materials: dict[str, Mention] = field(default_factory=dict)
    targets: dict[str, Mention] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    others: dict[str, Mention] = field(default_factory=dict)


# --- gazetteer matchers (compiled once per process) -------------------------------------------------------------


@cache
def _country_matcher() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    table = {phrase: (code, note) for phrase, code, note in country_phrases()}
    alternatives = "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:the )?({alternatives})(?:'s|\u2019s)?(?!\w)"), table


def material_table(catalogue: Iterable[tuple[str, str, Sequence[str]]]) -> dict[str, tuple[str, str, str]]:
    """phrase (lower case) -> (material or group id, implied stage, why), from the catalogue and the aliases."""
    table: dict[str, tuple[str, str, str]] = {}
    for material_id, name, groups in catalogue:
        for phrase in {name.lower(), material_id.replace("_", " ")}:
            if phrase not in AMBIGUOUS_MATERIAL_NAMES:
                table[phrase] = (material_id, "", "material name")
        for group in groups:
            table.setdefault(group.replace("_", " "), (group, "", "group name"))
    for phrase, material_id, stage, note in MATERIAL_ALIASES:
        table[phrase.lower()] = (material_id, stage, note)
    return table


@cache
def _material_matcher(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?:s|es)?(?![\w-])", re.IGNORECASE)


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


# --- the pieces -------------------------------------------------------------------------------------------------


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()]
        last_word = re.search(r"([\w.]+)$", before)
        if (
            match.group().startswith(".")
            and last_word
            and (last_word.group(1) in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", last_word.group(1)))
        ):
            continue
        _add_sentence(sentences, text, start, match.end())
        start = match.end()
    _add_sentence(sentences, text, start, len(text))
    return sentences


def _add_sentence(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        sentences.append(Sentence(offset, offset + len(stripped), stripped))


def find_countries(text: str, sentence: Sentence) -> list[Mention]:
    pattern, table = _country_matcher()
    mentions = []
    for match in pattern.finditer(sentence.text):
        phrase = match.group(1)
        code, note = table[phrase]
        start = sentence.start + match.start(1)
        mentions.append(Mention(code, start, start + len(phrase), phrase, f"'{phrase}' -> {code} ({note})"))
    return mentions


def find_materials(sentence: Sentence, table: Mapping[str, tuple[str, str, str]]) -> list[Mention]:
    mentions = []
    for match in _material_matcher(tuple(table)).finditer(sentence.text):
        phrase = match.group(1)
        material_id, stage, note = table[phrase.lower()]
        start = sentence.start + match.start()
        mentions.append(
            Mention(
                material_id,
                start,
                sentence.start + match.end(),
                match.group(),
                f"'{match.group()}' -> {material_id} ({note})",
                stage,
            )
        )
    return mentions


def _first(patterns: Sequence[tuple[str, Any, str]], sentence: Sentence) -> tuple[Any, Mention] | None:
    for regex, (_, value, why) in zip(_compiled(tuple(p for p, _, _ in patterns)), patterns, strict=True):
        if match := regex.search(sentence.text):
            start = sentence.start + match.start()
            return value, Mention(str(value), start, sentence.start + match.end(), match.group(), why)
    return None


def find_measure(sentence: Sentence) -> tuple[Measure, Mention] | None:
    """A licence slow-down wording wins (it is the specific case of export controls); otherwise the measure
    phrase that comes first in the sentence ("lifted its ban ..., replacing it with a quota": the ban)."""
    found = _first(MEASURE_PHRASES[:SPECIFIC_MEASURES], sentence)
    if found is None:
        general = MEASURE_PHRASES[SPECIFIC_MEASURES:]
        starts = [
            (match.start(), index)
            for index, regex in enumerate(_compiled(tuple(p for p, _, _ in general)))
            if (match := regex.search(sentence.text))
        ]
        if not starts:
            return None
        _, index = min(starts)
        found = _first(general[index : index + 1], sentence)
        if found is None:  # cannot happen: the same pattern matched above
            return None
    measure, mention = found
    return measure, Mention(
        mention.value,
        mention.start,
        mention.end,
        mention.text,
        f"'{mention.text}' -> measure {measure} ({mention.why})",
    )


@dataclass(frozen=True)
class DateMention:
    value: date
    mention: Mention
    effective: bool


def find_dates(sentence: Sentence, published: date) -> list[DateMention]:
    import dateparser  # its import costs ~0.3 s: only the drafts route pays it, on first use

    found = []
    base = datetime(published.year, published.month, published.day)
    for match in _DATE.finditer(sentence.text):
        phrase = match.group()
        cue = re.match(r"(?:in|from|by|until|of|on) ", phrase)
        effective = bool(_EFFECTIVE_BEFORE.search(sentence.text[: match.start()])) or phrase.startswith("from ")
        settings: Any = {
            "RELATIVE_BASE": base,
            "PREFER_DAY_OF_MONTH": "first",
            "PREFER_MONTH_OF_YEAR": "first",
            "PREFER_DATES_FROM": "future" if effective else "past",
            "REQUIRE_PARTS": [],
        }
        parsed = dateparser.parse(phrase[cue.end() :] if cue else phrase, languages=["en"], settings=settings)
        if parsed is None:
            continue
        start = sentence.start + match.start()
        role = "start (after a start cue)" if effective else "announcement"
        why = f"'{phrase}' -> {parsed.date().isoformat()} ({role}; resolved against published {published})"
        found.append(DateMention(parsed.date(), Mention(phrase, start, start + len(phrase), phrase, why), effective))
    return found


def find_stages(sentence: Sentence, materials: Sequence[Mention]) -> tuple[list[Stage], list[Mention]]:
    """Stage words in the sentence; a stage whose word sits in an exemption ('processed nickel stays exportable')
    does not count; a material alias may imply one (bauxite, nickel ore)."""
    stages: dict[Stage, Mention] = {}
    exempt = _STAGE_EXEMPT.search(sentence.text)
    for regex, (_, stage, why) in zip(_compiled(tuple(p for p, _, _ in STAGE_PHRASES)), STAGE_PHRASES, strict=True):
        for match in regex.finditer(sentence.text):
            if exempt and exempt.start() - 60 <= match.start() <= exempt.end() + 10 and stage is Stage.PROCESSING:
                continue
            start = sentence.start + match.start()
            stages.setdefault(
                stage,
                Mention(
                    stage.value,
                    start,
                    sentence.start + match.end(),
                    match.group(),
                    f"'{match.group()}' -> {stage} ({why})",
                ),
            )
    for material in materials:
        if material.stage:
            stage = Stage(material.stage)
            stages.setdefault(
                stage,
                Mention(
                    stage.value,
                    material.start,
                    material.end,
                    material.text,
                    f"{material.text} implies the {stage} stage",
                ),
            )
    if len(stages) == 2:  # both named (e.g. "ore and refined"): the measure covers every stage
        return [], list(stages.values())
    return list(stages), list(stages.values())


# --- who restricts whom -----------------------------------------------------------------------------------------


def _roles(sentence: Sentence, countries: Sequence[Mention]) -> tuple[list[Mention], list[Mention], list[Mention]]:
    """(issuer-cued, targets, others) among the sentence's country mentions."""
    cued, targets, others = [], [], []
    previous: Mention | None = None
    previous_role = ""
    for mention in countries:
        before = sentence.text[: mention.start - sentence.start]
        since_previous = before[previous.end - sentence.start :] if previous else None
        if _TARGET_BEFORE.search(before) or (
            previous_role == "target" and since_previous is not None and _LIST_JOIN.match(since_previous)
        ):
            targets.append(mention)
            previous_role = "target"
        elif _ISSUER_BEFORE.search(before):
            cued.append(mention)
            previous_role = "issuer"
        else:
            others.append(mention)
            previous_role = "other"
        previous = mention
    return cued, targets, others


def _issuer(
    sentence: Sentence, measure: Mention, countries: Sequence[Mention], carried: Mention | None
) -> tuple[Mention | None, str, float, list[Mention], list[Mention]]:
    cued, targets, others = _roles(sentence, countries)
    target_codes = {t.value for t in targets}
    # only a country can issue a measure in the signal model (the EU is an importer, never an issuer)
    cued = [m for m in cued if is_country_code(m.value)] + [m for m in cued if not is_country_code(m.value)]
    if cued and is_country_code(cued[0].value):
        issuer = cued[0]
        return (
            issuer,
            f"{issuer.why}: after 'from'/'by', the country of supply",
            READ,
            targets,
            [m for m in others + cued[1:] if m.value not in {issuer.value} | target_codes],
        )
    subject = next(
        (
            m
            for m in others + cued
            if m.start < measure.start and m.value not in target_codes and is_country_code(m.value)
        ),
        None,
    )
    if subject is not None:
        rest = [m for m in others + cued if m.value not in {subject.value} | target_codes]
        return subject, f"{subject.why}: the country named before the measure (who controls)", READ, targets, rest
    rest = [m for m in others + cued if m.value not in target_codes]
    if carried is not None:
        why = f"no issuer in this sentence: {carried.text!r} ({carried.value}) carried over from the sentence before"
        return carried, why, CARRIED, targets, rest
    return None, "", 0.0, targets, rest


def _subject_of(text: str, sentence: Sentence | None) -> Mention | None:
    if sentence is None:
        return None
    countries = find_countries(text, sentence)
    others = _roles(sentence, countries)[2]
    return others[0] if others else None


# --- the extractor ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownSite:
    name: str
    country: str
    material: str
    stage: str
    share: float


def extract_drafts(
    text: str,
    published: date,
    materials: Mapping[str, tuple[str, str, str]],
    sites: Sequence[KnownSite] = (),
) -> list[ExtractedDraft]:
    """Draft signals in `text`, each with per-field evidence. `materials` comes from material_table()."""
    sentences = split_sentences(text)
    drafts: dict[tuple[str, Measure], _Draft] = {}
    pending: list[tuple[Sentence, Measure, Mention]] = []  # measure without material: targets for a draft later
    carried: Mention | None = None
    for index, sentence in enumerate(sentences):
        found = find_measure(sentence)
        countries = find_countries(text, sentence)
        if found is None:
            if countries:
                _, _, others = _roles(sentence, countries)
                carried = others[0] if others else carried
            continue
        measure_value, measure = found
        material_mentions = find_materials(sentence, materials)
        fallback = carried or _subject_of(text, sentences[index - 1] if index else None)
        issuer, why, confidence, targets, others = _issuer(sentence, measure, countries, fallback)
        if not material_mentions:
            pending.append((sentence, measure_value, measure))
            if issuer is not None and confidence == READ:
                carried = issuer
            continue
        key = (issuer.value if issuer else "", measure_value)
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = _Draft(issuer, why, confidence, measure, measure_value)
        draft.sentences.append(sentence)
        for material in material_mentions:
            draft.materials.setdefault(material.value, material)
        for target in targets:
            if issuer is None or target.value != issuer.value:
                draft.targets.setdefault(target.value, target)
        for other in others:
            draft.others.setdefault(other.value, other)
        if issuer is not None and confidence == READ:
            carried = issuer
    for sentence, measure_value, _ in pending:
        countries = find_countries(text, sentence)
        _, targets, _ = _roles(sentence, countries)
        for draft in drafts.values():
            if draft.measure_value is measure_value and targets:
                for target in targets:
                    if draft.issuer is None or target.value != draft.issuer.value:
                        draft.targets.setdefault(target.value, target)
                draft.sentences.append(sentence)
    return [_finish(text, draft, published, sites) for draft in drafts.values()]


def _evidence(field_name: str, mention: Mention, sentence: Sentence, why: str | None = None) -> Evidence:
    return Evidence(
        field=field_name,
        text=mention.text,
        start=mention.start,
        end=mention.end,
        sentence=sentence.text,
        why=why or mention.why,
    )


def _sentence_of(draft: _Draft, position: int) -> Sentence:
    return next(s for s in draft.sentences if s.start <= position < s.end)


def _finish(text: str, draft: _Draft, published: date, sites: Sequence[KnownSite]) -> ExtractedDraft:
    evidence: list[Evidence] = []
    notes: list[FieldNote] = []
    confidences: list[float] = []
    first = draft.sentences[0]
    if draft.issuer is not None:
        evidence.append(
            _evidence(
                "issuer",
                draft.issuer,
                _sentence_of(draft, draft.issuer.start)
                if any(s.start <= draft.issuer.start < s.end for s in draft.sentences)
                else first,
                draft.issuer_why,
            )
        )
        confidences.append(draft.issuer_confidence)
    else:
        notes.append(
            FieldNote(field="issuer", note="no country in the sentence or the one before controls the measure")
        )
        confidences.append(0.0)
    evidence.append(_evidence("measure", draft.measure, first))
    confidences.append(READ)
    for material in draft.materials.values():
        evidence.append(_evidence("materials", material, _sentence_of(draft, material.start)))
    confidences.append(READ)
    if draft.targets:
        for target in draft.targets.values():
            evidence.append(
                _evidence(
                    "targets",
                    target,
                    _sentence_of(draft, target.start),
                    f"{target.why}: after a target cue ('to', 'against', 'on', ...)",
                )
            )
        targets = tuple(draft.targets)
        confidences.append(READ)
    else:
        targets = (ALL_TARGETS,)
        notes.append(
            FieldNote(
                field="targets",
                note="no destination named (no 'to X', 'against X'): ALL, "
                "as for an export measure without named destinations",
            )
        )
        confidences.append(DEFAULTED)

    stages: list[Stage] = []
    dates: list[DateMention] = []
    status: tuple[SignalStatus, Mention] | None = None
    immediate: Mention | None = None
    for sentence in draft.sentences:
        materials_here = [m for m in draft.materials.values() if sentence.start <= m.start < sentence.end]
        found_stages, stage_mentions = find_stages(sentence, materials_here)
        if materials_here:
            for stage in found_stages:
                if stage not in stages:
                    stages.append(stage)
            evidence.extend(_evidence("stages", m, sentence) for m in stage_mentions if m.value in found_stages)
        dates.extend(find_dates(sentence, published))
        status = status or _first(STATUS_PHRASES, sentence)
        if immediate is None and (match := re.search(IMMEDIATE_EFFECT, sentence.text, re.IGNORECASE)):
            start = sentence.start + match.start()
            immediate = Mention("immediate", start, start + len(match.group()), match.group(), "")
    if not stages:
        notes.append(
            FieldNote(
                field="stages", note="no stage words (ore, raw, concentrate, refined) with the materials: every stage"
            )
        )

    # an announcement is never after the article; a later date without a start cue is context ("in 2026 and 2027")
    announced_date = next((d for d in dates if not d.effective and d.value <= published), None)
    effective_date = next((d for d in dates if d.effective), None)
    if announced_date is not None:
        announced = announced_date.value
        evidence.append(
            _evidence("announced", announced_date.mention, _sentence_of(draft, announced_date.mention.start))
        )
        confidences.append(READ)
    else:
        announced = published
        notes.append(
            FieldNote(field="announced", note=f"no announcement date in the text: the published date {published}")
        )
        confidences.append(DEFAULTED)
    effective: date | None = None
    if effective_date is not None:
        effective = effective_date.value
        evidence.append(
            _evidence("effective", effective_date.mention, _sentence_of(draft, effective_date.mention.start))
        )
    elif immediate is not None:
        effective = announced
        evidence.append(
            _evidence(
                "effective",
                immediate,
                _sentence_of(draft, immediate.start),
                f"'{immediate.text}' -> effective = announced ({announced})",
            )
        )
    else:
        notes.append(FieldNote(field="effective", note="no start date in the text"))
    if effective is not None and effective < announced:
        announced = effective
        notes.append(FieldNote(field="announced", note="the start date is earlier: announced set to it"))

    lifted_at: date | None = None
    if status is not None:
        status_value, status_mention = status
        status_value = SignalStatus(status_value)
        evidence.append(
            _evidence(
                "status",
                status_mention,
                _sentence_of(draft, status_mention.start),
                f"'{status_mention.text}' -> status {status_value} ({status_mention.why})",
            )
        )
        confidences.append(READ)
        if status_value is SignalStatus.LIFTED:
            lifted_at = announced_date.value if announced_date else published
            notes.append(FieldNote(field="lifted_at", note=f"the lift's date: {lifted_at}"))
    elif effective is not None and effective > published:
        status_value = SignalStatus.ANNOUNCED
        notes.append(
            FieldNote(field="status", note=f"no status wording; starts {effective}, after the article: announced")
        )
        confidences.append(CARRIED)
    else:
        status_value = SignalStatus.IN_FORCE
        notes.append(FieldNote(field="status", note="no reported/announced/lifted wording: taken as in force"))
        confidences.append(CARRIED)
    if status_value is SignalStatus.IN_FORCE and effective is not None and effective > published:
        status_value = SignalStatus.ANNOUNCED

    severity = SEVERITY_BY_MEASURE.get(draft.measure_value)
    if severity is None:
        severity = UNRATED_SEVERITY
        notes.append(
            FieldNote(
                field="severity",
                note=f"{draft.measure_value} has no default severity: {UNRATED_SEVERITY} suggested, please set it",
            )
        )
    else:
        notes.append(FieldNote(field="severity", note=f"the default severity of {draft.measure_value}"))
    confidence = round(sum(confidences) / len(confidences), 2)
    issuer = draft.issuer.value if draft.issuer else None
    issuer_name = COUNTRY_NAMES.get(issuer, issuer) if issuer else "Unknown issuer"
    title = (
        f"{issuer_name}: {draft.measure_value.value.replace('_', ' ')}"
        f" on {', '.join(m.replace('_', ' ') for m in draft.materials)}"
        + (f" to {', '.join(t for t in targets if t != ALL_TARGETS)}" if draft.targets else "")
    )
    fields = DraftSignalFields(
        issuer=issuer,
        measure=draft.measure_value,
        materials=tuple(draft.materials),
        targets=targets,
        stages=tuple(stages),
        status=status_value,
        announced=announced,
        effective=effective,
        lifted_at=lifted_at,
        severity=severity,
        confidence=confidence,
        title=title[:500],
    )
    others = tuple(c for c in draft.others if c != issuer and c not in draft.targets)
    return ExtractedDraft(
        fields=fields,
        evidence=tuple(evidence),
        notes=tuple(notes),
        sites=_sites(text, sites),
        other_countries=others,
    )


def _sites(text: str, sites: Sequence[KnownSite]) -> tuple[SiteMention, ...]:
    """Each site named in the text once, with the materials whose profile lists it and its share of supply."""
    found: dict[str, SiteMention] = {}
    for site in sites:
        match = re.search(rf"(?<!\w){re.escape(site.name)}(?!\w)", text, re.IGNORECASE)
        if match is None:
            continue
        seen = found.get(site.name)
        materials = (*seen.materials, site.material) if seen else (site.material,)
        found[site.name] = SiteMention(
            name=site.name,
            country=site.country,
            materials=materials,
            stage=Stage(site.stage),
            share=max(site.share, seen.share if seen else 0.0),
            start=match.start(),
            end=match.end(),
        )
    return tuple(found.values())
