"""The LLM verifier's reading of claims against their quotes: anchors, numbers, polarity, roles."""

from __future__ import annotations

import pytest

from assistant.compose.anchors import ReplyStream, locate, parse_sentence, split_reply, window_of
from assistant.compose.meaning import compare, is_gap_sentence
from assistant.compose.reading import read
from assistant.language.lexicon import LEXICON_DIR
from assistant.language.polarity import load_polarity

SITTING = (
    "The tendon lies close to the ischial tuberosity beneath the gluteal muscles. This makes it "
    "hard to avoid compression during daily activities like sitting or forward bending. Sitting "
    "itself aggravates symptoms, limiting rest and prolonging recovery."
)
INJECTIONS = (
    "Option: Steroid/PRP injections. Evidence/Outcome: Short-term pain relief, variable long-term "
    "benefit; evidence for sustained improvement is limited."
)
SURGERY = (
    "Surgery is reserved for chronic or severely impaired cases, usually after 6–12 months of "
    "failed conservative care, and has good long-term outcomes."
)
RETURN = (
    "Option: Surgery (refractory cases). Evidence/Outcome: Good success rates—up to 89% return "
    "to prior sport/activity level if nonoperative management fails."
)
NSAIDS = (
    "NSAIDs are recommended for short-term pain relief, but have no effect on long-term outcomes."
)
ESWT = (
    "Extracorporeal shock wave therapy appears to be a safe, non-invasive, and effective means "
    "of pain relief for chronic tendinopathies, but is expensive."
)
DEGENERATION = "This reduces healing capacity and increases inflammation sensitivity."
REST = (
    "The current treatment guidelines recommend relative rest and reduced activity to prevent "
    "further damage and promote healing and pain relief."
)
STRETCH = (
    "Option: Avoid excessive stretching. Evidence/Outcome: Stretching increases tendon "
    "compression and irritability."
)
LOADING = (
    "Insufficient activity weakens the tissue, while excessive or incorrect loading, including "
    "aggressive stretching, can hinder healing."
)
SURGERY_OPTION = (
    "Surgery is an effective option in carefully selected patients who have failed three to "
    "six months of conservative therapy."
)
TOPICAL = (
    "Topical NSAIDs may be effective and have fewer systemic side effects, but it is unclear "
    "whether they are better than other analgesics."
)
CORTICO = (
    "Locally injected corticosteroids may be more effective than oral NSAIDs in acute-phase pain "
    "relief, but do not alter long-term outcomes."
)


# ------------------------------------------------------------------------------- anchors
def test_a_reply_splits_into_anchored_sentences_and_quotes_are_never_split() -> None:
    reply = (
        'Steroid shots help briefly [1: "Short-term pain relief, variable long-term benefit"]. '
        'The row reads "Option: Avoid excessive stretching." here [2: "Option: Avoid excessive '
        'stretching. Evidence/Outcome: Stretching"]. The passages do not say how long.'
    )
    sentences = split_reply(reply)
    assert len(sentences) == 3
    parsed = parse_sentence(sentences[1])
    assert [a.number for a in parsed.anchors] == [2]
    assert parsed.anchors[0].quote.startswith("Option: Avoid excessive stretching. Evidence")
    assert parsed.claim.endswith("here.")
    plain = parse_sentence("Sitting aggravates it [1, 3].")
    assert plain.markers == (1, 3) and all(not a.quote for a in plain.anchors)


def test_a_streamed_reply_gives_the_same_sentences() -> None:
    reply = 'One claim here [1: "exact words. With a stop"]. Another one [2: "more words"].'
    stream = ReplyStream()
    pieces = [reply[i : i + 7] for i in range(0, len(reply), 7)]
    got = [s for piece in pieces for s in stream.feed(piece)] + stream.flush()
    assert got == split_reply(reply)


def test_quotes_are_found_verbatim_up_to_case_spacing_and_typography() -> None:
    assert locate("hard to avoid compression", SITTING) is not None
    assert locate("Usually after 6-12 months", SURGERY) is not None  # en dash typed as -
    assert locate("tendon lies ... gluteal muscles", SITTING) is not None
    assert locate("easy to avoid compression", SITTING) is None
    assert locate("gluteal muscles ... tendon lies", SITTING) is None  # pieces out of order
    span = locate("hard to avoid compression", SITTING)
    assert span is not None
    assert window_of(SITTING, span, table_row=False).startswith("This makes it hard")
    assert window_of(INJECTIONS, (0, 5), table_row=True) == INJECTIONS


# ------------------------------------------------------------------------------- reading
def test_two_denials_assert_and_clause_final_denials_reach_back() -> None:
    assert read("It is hard to avoid compression").values["compress"] == {1}
    assert read("Avoiding compression is hard in daily life").values["compress"] == {1}
    assert read("evidence for sustained improvement is limited").values["improv"] == {-1}
    assert read("They have no effect on long-term outcomes").values["outcom"] == {0}
    assert read("It reduces healing capacity").values["heal"] == {-1}
    assert read("It increases healing capacity").values["heal"] == {1}
    assert "invas" in read("a non-invasive treatment").prefixed


# ------------------------------------------------------------------------------ compare
@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("Sitting and forward bending squeeze the tendon, which is hard to avoid", SITTING),
        ("Sitting makes the symptoms worse and slows recovery", SITTING),
        (
            "Steroid or PRP injections ease pain for a while, but the long-term benefit varies",
            INJECTIONS,
        ),
        ("There is limited evidence that the improvement lasts", INJECTIONS),
        (
            "Surgery is kept for chronic or badly affected cases, usually after 6 to 12 months "
            "of failed conservative care",
            SURGERY,
        ),
        ("As many as 89% get back to their earlier sport level after surgery", RETURN),
        (
            "No, NSAIDs do not change long-term outcomes, though they are recommended for "
            "short-term pain relief",
            NSAIDS,
        ),
        ("Shockwave therapy is expensive", ESWT),
        ("Degeneration lowers the tendon's ability to heal", DEGENERATION),
        ("No, excessive stretching should be avoided", STRETCH),
        (
            "If conservative therapy fails for three to six months, surgery can be an effective "
            "option in carefully selected patients",
            SURGERY_OPTION,
        ),
        (
            "For carefully chosen patients, an operation is an effective option once three to six "
            "months of conservative therapy have not worked",
            SURGERY_OPTION,
        ),
        (
            "In the acute phase, injected corticosteroids may relieve pain more effectively than "
            "oral NSAIDs; they do not change long-term outcomes",
            CORTICO,
        ),
        ("The long-term benefit of steroid or PRP injections is variable", INJECTIONS),
        ("Stretching should not be overdone, because it increases tendon compression", STRETCH),
        ("Improvement is achievable with the right approach, though slow progress is typical",
         "Slow progress is typical, but with the right approach, improvement is achievable."),
        ("Doing too little weakens the tissue, and too much loading can hinder healing", LOADING),
        # Word order is not a moved qualifier; "over the long term" bounds no number.
        ("Progressive exercise-based loading is the mainstay of treatment",
         "Exercise-based progressive loading is the mainstay of treatment."),
        ("Your pain response and careful increases in load should decide your return",
         "Return to activity should be based on pain response and careful load increase."),
        ("Surgery gives good results over the long term", SURGERY + " " + RETURN),
        # A passive reducer lowers its subject as the active form lowers its object.
        ("Targeted treatment can then be delayed, and the condition may become chronic",
         "This can delay targeted treatment and allow the condition to become chronic."),
        # Words of circumstance may sit on either side of a paraphrased comparison.
        ("In randomised trials, shockwave therapy did better than traditional physio for pain",
         "ESWT demonstrated superior pain and return-to-sport rates over traditional PT in RCTs."),
        # Adverbs inside a passive, and a participle with no object, keep who does what.
        ("As degeneration has often occurred, healing capacity is already reduced and "
         "inflammation sensitivity increased", DEGENERATION),
        # A denied absolute or antonym claims less, not more ("not complete rest").
        ("The guidelines recommend relative rest and reduced activity, not complete rest, to "
         "promote healing", REST),
    ],
)
def test_faithful_paraphrases_have_no_conflict(claim: str, evidence: str) -> None:
    assert compare(claim, evidence, evidence) is None


@pytest.mark.parametrize(
    ("claim", "evidence", "kind"),
    [
        ("Surgery comes after at least 12 months of failed conservative care", SURGERY, "number"),
        ("Surgery comes after 3-6 months of failed conservative care", SURGERY, "number"),
        ("89% of patients return to their prior sport after surgery", RETURN, "number"),
        ("It is easy to avoid compression when sitting", SITTING, "polarity"),
        ("Sitting relieves the symptoms", SITTING, "polarity"),
        ("Steroid or PRP injections give sustained long-term improvement", INJECTIONS, "polarity"),
        ("NSAIDs improve long-term outcomes", NSAIDS, "polarity"),
        ("Shockwave therapy is inexpensive", ESWT, "polarity"),
        ("Shockwave therapy is cheap", ESWT, "antonym"),
        ("Shockwave therapy is an invasive treatment", ESWT, "polarity"),
        ("This increases the tendon's healing capacity", DEGENERATION, "polarity"),
        ("Shockwave therapy always relieves pain in chronic tendinopathy", ESWT, "absolute"),
        ("Surgery guarantees good long-term outcomes", SURGERY, "absolute"),
        ("The guidelines recommend complete rest to promote healing", REST, "absolute"),
        ("Healing capacity is already increased", DEGENERATION, "polarity"),
        ("Relative rest does not have any effect on healing", REST, "absolute"),
        ("Stretching is recommended", STRETCH, "valence"),
        (
            "Excessive activity weakens the tissue, while insufficient loading can hinder healing",
            LOADING,
            "binding",
        ),
        ("Oral NSAIDs may be more effective than injected corticosteroids", CORTICO, "order"),
        ("Tendon compression increases stretching", STRETCH, "order"),
        ("Acupuncture also relieves the pain of chronic tendinopathy", ESWT, "fact"),
        ("Corticosteroid injections are less effective than oral NSAIDs", CORTICO, "antonym"),
        ("NSAIDs do not relieve short-term pain", NSAIDS, "polarity"),
        ("Topical NSAIDs are not effective", TOPICAL, "polarity"),
        ("Topical NSAIDs have more systemic side effects", TOPICAL, "polarity"),
        ("Sitting does not limit rest", SITTING, "polarity"),
        ("Surgery is reserved for mild cases", SURGERY, "antonym"),
        ("Excessive or incorrect loading does not hinder healing", LOADING, "polarity"),
        ("Excessive loading, including aggressive stretching, can help healing", LOADING,
         "antonym"),
        ("Studies showed significant increases in pain compared with traditional treatment",
         "significant reductions in pain and improvements in function compared to traditional "
         "conservative treatment", "antonym"),
        ("Tendon compression and irritability increase stretching", STRETCH, "order"),
        ("The condition can delay targeted treatment and allow it to become chronic",
         "This can delay targeted treatment and allow the condition to become chronic.", "order"),
        ("Rest aggravates symptoms, while sitting limits and prolongs recovery", SITTING, "order"),
    ],
)
def test_misstatements_are_named(claim: str, evidence: str, kind: str) -> None:
    conflict = compare(claim, evidence, evidence)
    assert conflict is not None and conflict.kind == kind, conflict


def test_gap_sentences_name_no_number_and_make_no_second_claim() -> None:
    assert is_gap_sentence("The passages do not say how long recovery takes.")
    assert is_gap_sentence("The guidance doesn't mention a price.")
    assert not is_gap_sentence("The passages do not say, but rest for 2 weeks.")
    assert not is_gap_sentence("The passages do not give a dose; take 400 mg.")
    assert not is_gap_sentence("Shockwave therapy does not cure it.")
    assert is_gap_sentence("The passages cannot say whether your pain is this condition.")
    assert is_gap_sentence("They can't tell you which cushion to buy.") is False  # no subject


def test_a_gap_sentence_may_repeat_the_numbers_the_user_asked_about() -> None:
    gap = "The passages do not say whether shockwave is safe for a 14 year old."
    assert is_gap_sentence(gap, asked="Is shockwave safe for my 14 year old?")
    assert not is_gap_sentence(gap)
    assert not is_gap_sentence(gap, asked="Is shockwave safe for my 12 year old?")


def test_the_packaged_lexicon_loads_strictly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lexicon = load_polarity(LEXICON_DIR)
    assert "not" in lexicon.negators and lexicon.antonyms
    bad = tmp_path / "lexicon"
    bad.mkdir()
    for name in ("polarity.yaml", "antonyms.yaml"):
        (bad / name).write_text((LEXICON_DIR / name).read_text(encoding="utf-8"))
    (bad / "antonyms.yaml").write_text("version: 1\npairs: []\nextra: 1\n")
    from assistant.errors import RulesError

    with pytest.raises(RulesError, match="antonyms.yaml"):
        load_polarity(bad)


def test_no_antonym_pair_shares_a_stem_across_its_sides() -> None:
    # The stemmer folds words hard ("speed" and "speedy" are both "spe"): a stem on both sides
    # of a pair would make every sentence with it contradict itself.
    for side_a, side_b in load_polarity(LEXICON_DIR).antonyms:
        assert not side_a & side_b, (sorted(side_a), sorted(side_b))


def test_support_check_reads_the_one_antonym_lexicon() -> None:
    from assistant.language.lexicon import load_lexicon

    pairs = set(load_lexicon(LEXICON_DIR).antonyms)
    assert ("cheap", "expens") in pairs or ("expens", "cheap") in pairs
    assert all(a != b for a, b in pairs)


# ------------------------------------------- contrast, restriction, order, effect, duration
REST = (
    "Current guidelines recommend relative rest and reduced activity to prevent further damage "
    "and promote healing and pain relief."
)
ECCENTRIC = (
    "Eccentric strengthening is an effective treatment for tendinopathy and may reverse "
    "degenerative changes."
)
DEGENERATED = "By the time symptoms are noticeable, tendon degeneration has often occurred."
CRYO = "Cryotherapy provides acute relief of tendinopathy pain."
REGENERATE = (
    "Tendons regenerate slowly, making recovery a months-long process even with correct "
    "management."
)
MAINSTAY = "Exercise-based progressive loading is the mainstay of treatment."
ISOMETRIC = (
    "Option: Isometric/HSR exercises. Evidence/Outcome: Proven benefits in functional "
    "improvements; focus on gradual intensification without provoking pain"
)


@pytest.mark.parametrize(
    ("claim", "evidence", "kind"),
    [
        # What a contrast rejects must not be what the passage asserts.
        ("Rest rather than exercise-based progressive loading is the mainstay of treatment",
         MAINSTAY, "contrast"),
        ("Excessive stretching is advised rather than avoided", STRETCH, "contrast"),
        ("Return should be guided by the calendar instead of by pain response",
         "Return to activity should be based on pain response and careful load increase.",
         "contrast"),
        # A restricting condition the passage does not set.
        ("Exercise-based progressive loading is the mainstay of treatment only for athletes",
         MAINSTAY, "restriction"),
        ("Sitting aggravates symptoms only when it is prolonged", SITTING, "restriction"),
        ("Progressive loading is most recommended, even when pain guides you to stop",
         "Most recommended: progressive, pain-guided loading", "restriction"),
        # "superior to" is read as "better than": the passage doubts it.
        ("Topical NSAIDs are superior to other analgesics", TOPICAL, "polarity"),
        # What comes first, swapped.
        ("Symptoms are often noticeable before tendon degeneration has occurred", DEGENERATED,
         "sequence"),
        ("After symptoms become noticeable, tendon degeneration occurs", DEGENERATED,
         "sequence"),
        # The passage's object kept, its effect verb swapped for one of the other kind.
        ("Relative rest and reduced activity cause further damage", REST, "effect"),
        ("Eccentric strengthening may cause degenerative changes", ECCENTRIC, "effect"),
        ("Insufficient activity protects the tissue, while excessive loading can hinder healing",
         LOADING, "effect"),
        ("After symptoms become noticeable, the tendon degenerates", DEGENERATED, "sequence"),
        # Which lies beneath which.
        ("The gluteal muscles lie beneath the tendon, close to the ischial tuberosity", SITTING,
         "sequence"),
        # A clause's actor moved to the other clause's verb.
        ("Excessive loading weakens the tissue, while insufficient activity can hinder healing",
         LOADING, "order"),
        # Reviewed pairs: speed against length, degree, size, place.
        ("Recovery is often quicker than for other tendinopathies",
         "Recovery often takes longer than for other tendinopathies.", "antonym"),
        ("The tendon is barely sensitive to load", "The tendon is highly sensitive to load.",
         "antonym"),
        ("Only a small proportion of patients return to their previous level of sport",
         "a significant proportion of patients able to return to their previous level of "
         "sporting activity after treatment", "antonym"),
        ("Return to activity should be based on a fast load increase",
         "Return to activity should be based on pain response and careful load increase.",
         "antonym"),
        ("Aggressive stretching can speed healing", LOADING, "effect"),
        ("Relative rest and reduced activity lead to further damage", REST, "effect"),
        # Duration words and units.
        ("Cryotherapy provides lasting relief of tendinopathy pain", CRYO, "antonym"),
        ("Injections give sustained pain relief, with variable long-term benefit", INJECTIONS,
         "antonym"),
        ("Tendons regenerate slowly, making recovery a weeks-long process", REGENERATE,
         "duration"),
    ],
)
def test_contrasts_restrictions_orders_effects_and_durations_are_named(
    claim: str, evidence: str, kind: str
) -> None:
    conflict = compare(claim, evidence, evidence)
    assert conflict is not None and conflict.kind == kind, conflict


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        # A rejected thing the passage does not assert; the sentence's verb is not rejected.
        ("Progressive exercise-based loading rather than rest is the mainstay of treatment",
         MAINSTAY),
        ("Rather than rest, exercise-based progressive loading is the mainstay of treatment",
         MAINSTAY),
        ("It typically develops through repeated microtrauma rather than as an acute strain",
         "Proximal hamstring tendinopathy usually develops through repeated microtrauma."),
        # Rejecting what the passage names but does not speak well of.
        ("Loading should be gradual rather than aggressive, which can hinder healing", LOADING),
        # "only" where the passage restricts too, and "not only".
        ("Surgery is only for chronic or severely impaired cases", SURGERY),
        ("Recovery takes months even with correct management", REGENERATE),
        # A doubted "whether" clause may name what the passage names outside its own.
        ("Whether topical NSAIDs are superior to other analgesics is unclear", TOPICAL),
        ("It is uncertain whether topical NSAIDs are better than other analgesics", TOPICAL),
        # The same order said the other way round.
        ("Tendon degeneration has often already occurred before symptoms become noticeable",
         DEGENERATED),
        # Nominalised and denied effect verbs agree with the verbs.
        ("Guidelines advise relative rest and a reduction in activity for the prevention of "
         "further damage", REST),
        ("Avoidance of excessive stretching is recommended", STRETCH),
        ("Steer clear of stretching too much", STRETCH),
        ("Stretching results in increased tendon compression", STRETCH),
        ("Relative rest and reduced activity are recommended to prevent further damage and to "
         "promote healing and pain relief", REST),
        ("Guidelines recommend relative rest and reduced activity for the prevention of further "
         "damage and the promotion of healing and pain relief", REST),
        ("Eccentric strengthening may reverse the degenerative changes", ECCENTRIC),
        ("The intensity goes up gradually and does not provoke pain", ISOMETRIC),
        # An effect verb across "from" governs something else; another actor is not checked.
        ("Relative rest protects the tendon from further damage", REST),
        # "unsuccessful" is "failed"; a denial a prefixed passage word implies.
        ("Surgery is kept for chronic or severely impaired cases, usually after 6 to 12 months "
         "of unsuccessful conservative care", SURGERY),
        ("Shockwave appears safe and effective for chronic tendon pain, and it does not need "
         "surgery", ESWT),
        ("The tendon sits right next to your sit bone, underneath the buttock muscles", SITTING),
        ("Doing too little weakens the tissue, and too much loading can hinder healing", LOADING),
        ("Yes, sitting cushions and changed routines are advised to reduce pressure on the "
         "tendon", "Essential for reducing tendon compression; sitting cushions and modified "
         "routines advised"),
        ("Recovery is frequently slower than in other tendinopathies",
         "Recovery often takes longer than for other tendinopathies."),
        # The passage's own unit of time.
        ("Recovery takes months, even with correct management", REGENERATE),
    ],
)
def test_faithful_contrasts_orders_and_nominalisations_stay(claim: str, evidence: str) -> None:
    assert compare(claim, evidence, evidence) is None


def test_a_denied_surgery_needs_a_passage_word_that_implies_it() -> None:
    conflict = compare("Cryotherapy does not need surgery", CRYO, CRYO)
    assert conflict is not None and conflict.kind == "fact"
