"""Conversation rules of the triage gate: 'it was checked' statements and general questions.

- A user turn that says the red flag was assessed ("I went to A&E, the MRI was clear") ends the
  urgent state that an earlier turn started; later routine questions get a one-line reminder.
- A general question that names a red flag ("can PHT cause bladder problems?"), with no sign
  that the person has it, gets information and that category's safety net instead of the
  emergency reply. Crisis is never downgraded: raising it is reason enough to show help.
"""

from __future__ import annotations

import re

from assistant.triage.lexicon import fold

__all__ = ["says_assessed", "is_general_question"]

_ASSESSED = re.compile(
    r"\b(?:"
    # English
    r"(?:went|been|go|gone|was|got taken) (?:to )?(?:a ?& ?e|a and e|the er|er\b|the emergency"
    r"|emergency|hospital|urgent care|minor injuries|the doctor|my doctor|my gp|the gp)"
    r"|(?:i|i've|ive|i have|she|he|they) (?:been|was|were|got) (?:checked|seen|examined|assessed"
    r"|scanned|x-?rayed)"
    r"|(?:mri|scan|x-?ray|ultrasound|doppler|tests?|bloods|ct)\b(?: \w+){0,3}? (?:was|were|came"
    r" back|is|are|showed|shows) (?:\w+ )?(?:clear|fine|normal|ok|okay|nothing|negative|no )"
    r"|ruled out|all clear|(?:doctor|gp|consultant|surgeon|nurse|physio|they) (?:said|says|told"
    r" me) (?:it'?s|it was|it is|its|i'?m) (?:fine|nothing|ok|okay|not|only|just|normal)"
    # Spanish, French, German, Italian, Portuguese (folded: no accents)
    r"|fui a urgencias|me (?:vio|han visto|exploro) el medico|(?:resonancia|radiografia|eco\w*)"
    r" (?:salio|sali[oó]|esta|era) (?:bien|normal|limpia)|descartaron|descarto"
    r"|(?:je suis alle|suis allee?) aux urgences|(?:irm|radio|echo\w*) (?:etait|est) normale?"
    r"|le medecin m a examine|exclu"
    r"|(?:war|bin) in der notaufnahme|(?:mrt|rontgen|ultraschall) war (?:unauffallig|normal)"
    r"|ausgeschlossen|arzt hat mich untersucht"
    r"|sono andat[oa] al pronto soccorso|(?:risonanza|radiografia|ecografia) (?:era|e) "
    r"(?:pulita|normale)|escluso|il medico mi ha visitato"
    r"|fui as urgencias|(?:ressonancia|raio-?x|ecografia) (?:estava|esta|era) normal"
    r"|excluiu|o medico (?:examinou-me|me examinou)"
    r")"
)
_QUESTION_START = re.compile(
    r"^(?:can|could|does|do|is|are|what|whats|what's|how|when|should|would|will|which|why"
    r"|in general|generally|just curious|is it true)\b"
)
_PERSONAL = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|my|me|mine|myself|we|our|us|he|she|his|her|him|they|their"
    r"|dad|mum|mom|husband|wife|son|daughter|friend|partner"
    # A clinician describing a patient is not asking in general.
    r"|patient|client|reports|presents|presenting|referred)\b"
)


def says_assessed(text: str) -> bool:
    """Return True when the turn says a clinician has checked the problem."""
    return _ASSESSED.search(fold(text)) is not None


def is_general_question(text: str) -> bool:
    """Return True for a general English question with no sign the person has the symptom."""
    folded = fold(text)
    if not (_QUESTION_START.search(folded) or folded.endswith("?")):
        return False
    # "can PHT cause bladder problems?" is general; "can I walk on it after I fell?" is not.
    words = _PERSONAL.findall(folded)
    return not words or words == ["i"] and folded.startswith(("can i ", "could i ", "should i "))
