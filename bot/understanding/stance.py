"""Reading before flagging: is the message a *report* of something happening, or a *question
about a risk*, an episode that is *over*, one already under a doctor's *care*?

Triage must not depend on the words of a sign alone: "can cheek filler ever make you blind?"
has the words of an emergency and is a question about a risk, never urgent; "is it normal
that my lip is white since the filler?" is phrased as a question and is a report. This module
reads the message sentence by sentence, without knowing any sign, and says which of these it
is. The triage (bot/understanding/triage.py) uses the answer twice: a message that is only a question about
a risk is never urgent, whatever the rules or the learned check say; and the stance is one of
the learned check's inputs.

Sentence kinds (one per sentence, first that applies):
- report: the writer, or someone they write for, has something now or since a recent
  procedure: a person ("my lip", "I can't", "she is") with a state or a recent time ("since",
  "today", "2 hours ago", "now"), not only planned or feared ("next week", "I'm nervous");
- treated: a clinician is already on it ("the ER gave me", "on antibiotics");
- past: it is over or long ago ("went away", "years ago", "back in 2019");
- risk_question: a general question about a risk ("can filler cause…", "is it true that…",
  "what are the warning signs…", "how common is…"), or a story or fear that is not the
  writer's own ("saw a TikTok", "my friend's cousin");
- other: anything else (a greeting, a question about a price).
A sentence that asks about a risk with a recent time in it ("can botox spread, I can't
swallow since yesterday") is a report. The message: a report if any sentence is one (treated
instead when another sentence says a clinician is on it and nothing says it is failing), else
the first of risk_question, treated, past that any sentence is, else other. The reading errs
towards "report", which silences nothing: only "risk_question" calms a flag by itself. Pure
regular expressions: well under a millisecond per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.understanding.text import normalise, sentences


class Stance(StrEnum):
    REPORT = "report"
    RISK_QUESTION = "risk_question"
    PAST = "past"
    TREATED = "treated"
    OTHER = "other"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_PROCEDURE = (
    r"(?:filler|fillers|botox|dysport|xeomin|toxin|tox|injections?|jabs?|a peel|peels?|laser|"
    r"microneedling|surgery|lipo|it|this|that|they|these|a procedure|procedures|threads?|"
    r"lip filler|cheek filler|the [a-z]+)"
)
# a general question about a risk: the form says it is not about a sign the writer has now
_RISK_QUESTION = _any(
    r"(?:can|could|does|do|will|would|might|may|did) (?:\w+ ){0,4}?(?:ever |really |actually |"
    r"also |sometimes |possibly )?(?:cause|causes|make|makes|lead|leads|give|gives|result|"
    r"trigger|triggers|spread|spreads|travel|migrate|block|affect|damage|go wrong)",
    r"(?:can|could) (?:you|someone|people|anyone|a person|patients?) (?:\w+ ){0,3}?(?:get|go|"
    r"become|have|die|lose|develop|end up)",
    r"is it (?:true|possible|common|rare|likely|real|a myth|dangerous|risky|safe)",
    r"(?:is it|is that|would it be) (?:ok|okay|fine|safe|alright) (?:to|for|if)",
    r"is (?:that|this) (?:true|real|a real thing|a myth|a thing|common|rare)",
    r"how (?:common|likely|rare|often|dangerous|risky|serious|safe)",
    r"what (?:are|were) the (?:\w+ )?(?:risks?|chances|odds|warning signs|signs|symptoms|"
    r"side effects|complications|dangers)",
    r"(?:what is|whats|what s) the (?:\w+ )?(?:risk|chance|likelihood|odds)",
    r"are there (?:any )?(?:\w+ )?(?:risks?|side effects|complications|dangers|warning signs)",
    r"is there (?:a|any) (?:\w+ )?(?:risk|chance|danger)",
    r"(?:warning signs?|red flags?|signs|symptoms) (?:of|to watch|to look|that|i should|should i)",
    r"how (?:do|would|can|will|could) (?:i|you|we|one|someone) (?:know|tell|recogni[sz]e|spot)",
    r"what (?:should|do|would|can) (?:i|you|we|one) do if",
    r"what (?:happens|would happen|to do) if",
    r"what if",
    r"has anyone (?:ever )?(?:had|heard|experienced|seen|gotten|got)",
    r"have you (?:ever )?(?:seen|had|treated|heard)",
    r"(?:heard|read|seen|saw) (?:that|about|somewhere|online|a (?:\w+ )?(?:story|video|post|"
    r"tiktok|reel|thread|article))",
    r"(?:saw|seen|watched|read) (?:a|an|this|that|some) (?:\w+ ){0,2}?(?:tiktok|video|reel|post|"
    r"story|stories|article|thread|clip|documentary)",
    r"on (?:tiktok|instagram|youtube|reddit|facebook|the news|tv|social media)",
    r"(?:my )?(?:friends?|friend s|cousins?|sisters?|colleagues?|coworkers?|aunts?|mums?|"
    r"neighbou?rs?) (?:\w+ )?(?:friend|cousin|sister|colleague)? ?(?:once|apparently)",
    r"apparently",
    r"(?:worried|scared|afraid|terrified|nervous|anxious|concerned|paranoid) (?:about|of|that)",
    r"just (?:curious|wondering|asking)",
    r"in general|generally speaking|hypothetically|out of curiosity",
    r"should i (?:be )?(?:worried|concerned|scared) about (?:getting|having|developing)",
    r"to (?:avoid|prevent|minimi[sz]e|reduce the risk)",
    r"(?:a )?real (?:thing|risk)|any truth|a myth|super rare|really rare",
    r"(?:is|are) (?:it|they|this|that|\w+) (?:\w+ )?(?:dangerous|riskier|risky|safe|safer)",
    r"(?:worst|scariest) (?:thing|that|case)",
    r"what percentage|how many (?:people|patients)|death rate|deaths? (?:reported|from)",
    r"(?:if|when) (?:\w+ ){0,3}?ever",
    r"(?:has|have|do|does|did|can|could|will|would) (?:\w+ ){0,4}?ever",
    r"(?:can|could) (?:you|someone|people|anyone) (?:\w+ )?(?:be|get|go|have)",
    r"is (?:it )?possible (?:to|for)",
    r"(?:more|less) likely|(?:higher|bigger|greater) (?:risk|chance)",
    r"(?:difference|tell) between",
    r"what would (?:a|the|you) (?:doctor|clinic|injector|surgeon)",
)
# a sentence about the writer that reports no state: a fear, a belief, a plan, a clean record
_ASIDE = _any(
    r"never had|zero issues|no issues|no problems|not had|dont have|do not have|havent had",
    r"(?:worried|paranoid|nervous|scared|anxious|convinced|curious|wondering|not sure)",
    r"(?:want|would like|trying|need) to (?:know|understand|plan|check|ask|be sure)",
    r"(?:i|he|she|they) (?:heard|read)|read (?:a|that|on)|a headline",
    r"(?:give|tell) me (?:the|a|an|some)|explain",
    r"well controlled|under control|yet|only planning",
    r"before i (?:decide|book|go ahead|commit)",
)
# the writer, or someone they write for, with a state now
_PERSON = (
    r"(?:i|im|ive|id|me|my|mine|we|were|our|us|he|hes|she|shes|his|her|him|they|theyre|their|"
    r"them|it|its|there|theres|this|the)"
)
# someone the message is about: the writer, or someone they write for
_PERSON_NOW = _any(
    r"i|im|ive|id|me|my|mine|myself|we|our|us|he|hes|she|shes|his|her|him|they|theyre|their",
    r"help|please help|urgent|emergency|asap|right now",
)
_NOW = _any(
    r"now (?:my|the|its|it|there|theres|i|im|she|he|they)|right now|today|tonight|since|still|"
    r"again|hours?|yesterday|this (?:morning|week)"
)
_STATE = _any(
    rf"{_PERSON} (?:\w+ ){{0,3}}?(?:is|are|am|was|were|has|have|had|looks?|looking|feels?|"
    r"feeling|felt|seems?|went|gone|turned|turning|getting|got|gets|became|keeps?|kept|"
    r"started|starting|cant|cannot|couldnt|can not|could not|wont|isnt|arent|doesnt|"
    r"woke|noticed|notice|see|seeing|saw|hurts?|hurting|aches?|throbs?|throbbing|burns?|"
    r"burning|stings?|swelling|swollen|spreading|oozing|leaking|draining|developed|"
    r"appeared|came up|popped up|broke out)",
    r"(?:im|i am|ive been|i have been|i keep|i kept) \w+",
    r"help|please help|urgent|emergency|asap|right now",
)
_TIME = _any(
    r"since",
    r"ago",
    r"today",
    r"tonight",
    r"yesterday",
    r"this (?:morning|afternoon|evening|week)",
    r"last night",
    r"now",
    r"right after",
    r"straight after",
    r"after (?:my|the|her|his|getting|having|i)",
    r"hours?|hrs?|mins?|minutes?",
    r"(?:just|recently) (?:had|got|did|done)",
    r"still",
    r"suddenly|all of a sudden",
    r"keeps?|getting worse|worse",
    r"day \d+|day (?:one|two|three|four|five)|post op|postop",
)
# only planned, feared or asked for someone in general: not a state the writer has
_PLANNED = _any(
    r"next (?:week|month|year|friday|monday|tuesday|wednesday|thursday|saturday|sunday|time)",
    r"(?:booked|scheduled|planning|considering|thinking (?:about|of)|want(?:ing)? to (?:get|have|"
    r"try)|going to (?:get|have)|gonna (?:get|have)|about to (?:get|have)|would like to)",
    r"before (?:my|i get|i have|i go|getting|having)",
    r"(?:my|an|the) (?:appointment|consult|consultation|booking)",
    r"in case",
    r"(?:if|whether) (?:i|you|my|it|they|someone|something|this|that)",
)
_PAST = _any(
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|several|many|a few|few|"
    r"some|couple of|a couple of) (?:years?|months?) ago",
    r"last (?:year|summer|winter|spring|autumn|fall)",
    r"back in (?:\d{4}|the day)",
    r"in (?:19|20)\d\d",
    r"when i was (?:a |younger|\w+ years old|\d+|in)",
    r"as a (?:child|kid|teen|teenager)",
    r"used to",
    r"in the past",
    r"once (?:had|got)",
    r"went away|gone away|go away on its own|went down|resolved|cleared(?: up)?|settled|"
    r"subsided|disappeared|faded",
    r"back to normal|normal again|fine now|ok now|okay now|all good now|better now|"
    r"all better|recovered|healed|totally fine|completely fine|pink again",
    r"(?:has|have|had) (?:since )?(?:passed|stopped)",
)
_TREATED = _any(
    r"(?:doctor|dr|surgeon|dermatologist|derm|doc|injector|nurse|gp|physician|clinic|er|a e|"
    r"hospital|urgent care|ambulance|paramedics?) (?:\w+ ){0,3}?"
    r"(?:treating|treated|prescribed|drained|dissolved|lanced|gave me|put me on|started me|"
    r"admitted|checked|examined|saw me|seen me|is seeing|injected hyaluronidase|sent me)",
    r"on (?:antibiotics|steroids|prednisone|a course|iv)",
    r"(?:was|were|been|being|already) (?:seen|treated|admitted|prescribed|dissolved|checked)",
    r"under (?:the|their|his|her) care",
    r"hyaluronidase|hylenex|dissolver",
)
_FAILING = _any(
    r"worse|worsening|spreading|not (?:improving|working|helping|better)|no better|"
    r"still|again|came back|coming back|keeps|didnt help|hasnt helped|not going away|"
    r"cant (?:reach|get hold|get an appointment)|closed"
)
_REPORT_QUESTION = _any(
    r"(?:could|can|might|would) (?:this|that|it|these|they) be",
    r"is (?:this|that) (?:normal|ok|okay|bad|serious|an emergency|dangerous|infected|"
    r"an infection|an allergy|a reaction)",
    r"is it (?:normal|ok|okay|bad|serious|an emergency|infected|an infection|an allergy)",
    r"is it normal (?:that|for) (?:my|me|the)",
    r"should i (?:go|call|be worried|worry|get|see|take)",
    r"is (?:that|this|it) (?:a thing|normal|expected|usual)",
    r"do i need",
)


@dataclass(frozen=True, slots=True)
class Reading:
    """The message's stance and each sentence's kind (for tests and the learned check)."""

    stance: Stance
    kinds: tuple[Stance, ...]

    def has(self, kind: Stance) -> bool:
        return kind in self.kinds


def sentence_kind(sentence: str) -> Stance:
    """One sentence's kind (see the module's docstring)."""
    text = normalise(sentence)
    if not text:
        return Stance.OTHER
    timed = bool(_TIME.search(text))
    if _RISK_QUESTION.search(text) and not timed and not _REPORT_QUESTION.search(text):
        return Stance.RISK_QUESTION
    planned = bool(_PLANNED.search(text)) and not timed
    aside = bool(_ASIDE.search(text)) and not timed
    someone = _PERSON_NOW.search(text) or _REPORT_QUESTION.search(text)
    if (someone and not (planned or aside)) or (timed and _STATE.search(text)):
        if _TREATED.search(text) and not _FAILING.search(text):
            return Stance.TREATED
        if _PAST.search(text) and not _NOW.search(text):
            return Stance.PAST
        return Stance.REPORT
    if _TREATED.search(text):
        return Stance.TREATED
    if _PAST.search(text):
        return Stance.PAST
    if aside:
        return Stance.RISK_QUESTION
    return Stance.OTHER


def read_stance(text: str) -> Reading:
    """The message's stance: report wins, then risk_question, treated, past (docstring)."""
    kinds = tuple(sentence_kind(s) for s in sentences(text))
    if Stance.REPORT in kinds and Stance.TREATED in kinds and not _FAILING.search(normalise(text)):
        stance = Stance.TREATED  # reported, and a clinician is on it
    elif Stance.REPORT in kinds:
        stance = Stance.REPORT
    else:
        stance = next(
            (k for k in (Stance.RISK_QUESTION, Stance.TREATED, Stance.PAST) if k in kinds),
            Stance.OTHER,
        )
    return Reading(stance, kinds)
