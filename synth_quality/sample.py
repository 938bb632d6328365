"""The built-in demo dataset: a small, hand-built real-vs-synthetic case with known answers.

Data that can be regenerated is never committed, so the sample is built by this module: pure
Python plus pandas, deterministic for a given seed, well under a second. ``sample_path()`` writes
it to ``sample_data/sample.csv`` (gitignored) or to the user cache and returns the path; the
dashboard and ``synth-quality`` use it as the demo.

What it holds (the counts for seed 0 are in ``sample_data/README.md``):

* **real** rows: critic-snippet style, lowercase and tokenised (``a sly , unhurried comedy .``),
  often verb-less fragments that name invented films, actors and directors. About 60 of them
  are about documentaries (nature and history films), a mode no generator imitates
  (``planted = "real_only_mode"``).
* **genericbot**: cased, generic full sentences from templates (``"templated"``), a few with HTML
  entities (``"html_entity"``), a few repetition loops and stutters (``"repetition_loop"``), and
  one sentence repeated as a block of exact duplicates (``"duplicate"``).
* **mimicbot**: a good generator; lowercase, tokenised critic-like fragments built from a
  different but similar set of pieces (``""``, realistic), plus rows copied from the real side
  verbatim or with a one-word / one-token edit (``"copy_of_real"``).
* **offtopicbot**: product and restaurant reviews in the real side's surface style, a mode only
  the synthetic side covers (``"off_topic"``).

Every sentence and fragment below was written for this module; none is taken from a corpus.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import os
import random
import re
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

SAMPLE_COLUMNS = ["text", "real_or_synthetic", "sentiment", "generator", "planted"]

#: Values of the ``planted`` column (the ground truth); ``""`` marks an ordinary row.
PLANTED_KINDS = (
    "",
    "real_only_mode",
    "templated",
    "html_entity",
    "repetition_loop",
    "duplicate",
    "copy_of_real",
    "off_topic",
)

#: Words that mark the documentary mode; only ``real_only_mode`` rows contain any of them.
DOCUMENTARY_WORDS = ("documentary", "documentaries", "wildlife", "archival", "nonfiction")

SAMPLE_FILENAME = "sample.csv"
_REPO_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

# Rows per (planted kind, sentiment). Real: 340 ordinary + 60 documentary rows.
_N_REAL_ORDINARY = 170
_N_REAL_DOC = 30
_N_TEMPLATED = {"positive": 260, "negative": 280}
_N_HTML = 13
_N_LOOP = 15
_N_DUPLICATE = 20  # one positive sentence, repeated; templated has 20 more negatives to balance
_N_MIMIC = 185
_N_COPY = 15
_N_OFFTOPIC = 30

_DUPLICATE_TEXT = "This is a great movie and I would recommend it to everyone."


# --------------------------------------------------------------------------------------------
# Real side: invented names and critic-style fragments
# --------------------------------------------------------------------------------------------

_FILMS = [
    "the glass orchard", "northbound", "saltwater saints", "a winter for thieves",
    "the lantern keeper", "copper sky", "midnight at the ferry", "little engines",
    "the quiet arithmetic", "harbor of kings", "the velvet alibi", "dust and honey",
    "the ninth tenant", "sparrow road", "a map of small fires", "the understudy's wife",
    "hollow crown county", "blue hour", "the last good summer", "the margins",
    "the weight of rivers", "kingfisher lane", "the borrowed house", "neon psalms",
    "the cartographer's daughter", "low tide at carrow", "paper lanterns", "the iron garden",
    "second chair", "the marigold affair", "tin soldiers", "a fever in july", "orchid motel",
    "the drowned choir", "static on the line", "bitter almonds", "the good neighbor policy",
    "rust belt requiem", "the ferryman's bargain", "an accident of birds",
]

_DIRECTORS = [
    "oyelaran", "kessler", "valcourt", "brandt", "whitcombe", "sorensen", "amadi",
    "lindqvist", "haddad", "marnier", "achterberg", "babajide", "castellane", "liqiao",
    "kroll", "tuller", "anandan", "montrose", "vrbanic", "sorel",
]

_ACTORS = [
    "rosa delacroix", "jonah pell", "amara quist", "felix oduya", "lena marchetti",
    "owen bratt", "sigrid hale", "tobias renner", "mina castellanos", "cal devereaux",
    "priya sandoval", "august moreau", "hattie brennan", "nico albescu", "joelle tamm",
    "bram osterhout", "dalia fennimore", "ezra colquhoun", "tess abernathy", "marcus ilunga",
]

_GENRES = [
    "comedy", "thriller", "melodrama", "romance", "caper", "period piece", "western",
    "chamber drama", "coming-of-age story", "ghost story", "satire", "road movie",
    "heist picture", "family saga", "noir", "character study", "farce", "musical",
    "war picture", "courtroom drama",
]

_REAL = {
    "positive": {
        "adj": [
            "sly", "unhurried", "luminous", "bracing", "wry", "tender", "nimble", "piquant",
            "generous", "handsome", "sharp-eyed", "unsentimental", "rueful", "buoyant", "supple",
            "shrewd", "lived-in", "gossamer", "spry", "elegant", "knowing", "lyrical", "sinewy",
            "graceful", "mischievous", "observant", "humane", "brisk",
        ],
        "that": [
            "trusts its actors", "earns every one of its tears", "knows exactly when to cut away",
            "never raises its voice", "finds grace in the smallest gestures",
            "lets its silences do the talking", "wears its learning lightly", "rewards patience",
            "refuses easy answers", "sneaks up on you", "keeps its best jokes in the margins",
            "treats its audience as adults", "grows richer as it goes",
            "makes the familiar feel newly strange", "lingers long after the credits",
            "never condescends to its characters",
        ],
        "first": [
            "slight", "uneven", "modest", "minor", "messy", "familiar", "slow-burning",
            "scrappy", "odd", "low-key",
        ],
        "second": [
            "disarming", "winning", "irresistible", "never dull", "oddly moving", "beguiling",
            "sneakily affecting", "hard to resist", "a delight", "lovely",
        ],
        "dir": [
            "directs with a light , sure touch", "stages the set pieces with real wit",
            "keeps the pace brisk without rushing the feelings",
            "shoots the city like a lover would",
            "knows when to hold a shot and when to let it go",
            "builds suspense out of almost nothing",
            "gives every minor character a life of their own",
            "lets the landscape do half the storytelling",
            "never confuses sentiment with feeling", "finds the comedy in small humiliations",
        ],
        "act": [
            "gives a career-best performance", "is a revelation", "has never been better",
            "steals every scene", "finds layers nobody else would bother looking for",
            "makes decency look thrilling", "is funny and frightening at once",
            "holds the screen without seeming to try",
            "turns a stock part into a living person",
            "plays grief without a single false note",
        ],
        "act_adj": [
            "terrific", "heartbreaking", "wonderfully prickly", "quietly magnetic", "very funny",
            "superb", "ferociously good", "unexpectedly tender",
        ],
        "act_tail": [
            "the film around the performance is nearly as good",
            "the movie is smart enough to stay out of the way",
            "the script gives the role room to breathe", "the supporting cast keeps pace",
            "every scene crackles", "the ending lands with real force", "the whole thing hums",
            "it's a pleasure to watch an actor this sure of the material",
            "the director knows to keep the camera close", "the final scene is a knockout",
            "the comedy and the sadness sit side by side",
            "the story earns every feeling it asks for",
        ],
        "intro": [
            "shot in grainy , sun-bleached color", "part fable and part shaggy-dog story",
            "funny in a dry , sideways way", "made with obvious love and very little money",
            "cast with faces you won't recognize", "anchored by two superb lead performances",
            "wise about marriage without ever lecturing",
            "steeped in the smells and sounds of its small town",
            "slow to start and impossible to shake", "unapologetically old-fashioned",
            "deftly balanced between dread and comedy", "tart , quick and full of surprises",
        ],
        "pred": [
            "is the rare crowd-pleaser that doesn't pander", "is a small marvel",
            "deserves a far bigger audience than it will find",
            "is the most satisfying night out of the season",
            "earns its place among the year's best", "rewards every minute you give it",
            "is a quiet triumph", "reminds you why you fell for the movies in the first place",
            "plays like a great short story", "is pure pleasure from first frame to last",
            "gets better every time you think about it", "leaves you grinning",
        ],
        "np": [
            "a small miracle", "a genuine pleasure", "a rare treat", "a minor gem",
            "a bracing tonic", "a real find", "a welcome surprise", "an unassuming triumph",
        ],
        "dash": [
            "funny , sad and never once sentimental",
            "the kind of picture they rarely make anymore",
            "smart , unfussy and beautifully acted",
            "proof that a small budget is no bar to ambition",
            "as light as a souffle and twice as satisfying",
            "the best two hours you'll spend in the dark this month",
            "a story told with real affection", "clever without being cute",
            "grown-up entertainment of the most welcome kind",
            "tough-minded and tender at once", "a film that knows precisely what it's doing",
            "made by people who clearly love movies",
        ],
        "turn": [
            "takes a while to find its rhythm", "sags a little in the middle",
            "has a few too many endings", "is occasionally too pleased with itself",
            "stumbles in its final act", "borrows freely from better-known films",
            "has a clunky opening scene", "tries to juggle one subplot too many",
        ],
        "but": [
            "the last half hour is superb", "the performances carry it home",
            "its heart is in exactly the right place",
            "the pleasures far outweigh the lapses", "you won't forget the ending",
            "it has more life in it than most films twice its size",
            "the dialogue crackles throughout", "its final image is worth the wait",
            "you leave the theater lighter than you came in",
            "the central friendship rings completely true",
        ],
        "feat": [
            "is the most assured work of a restless career", "confirms a major talent",
            "marks a big leap forward", "plays like the work of a seasoned master",
            "is funnier and sadder than anything that came before", "is a model of economy",
            "finally delivers on years of promise",
            "is the kind of film festivals exist to discover",
            "trades flash for feeling and is better for it",
            "is a bold , unclassifiable pleasure", "is ambitious in all the right ways",
            "is worth the long wait", "finds poetry in the most ordinary places",
            "is braver and stranger than its modest premise suggests",
            "sustains a mood of sly menace from start to finish",
            "shows a filmmaker in full command of the medium",
            "has the snap and confidence of a born entertainer",
            "makes every frame count",
        ],
    },
    "negative": {
        "adj": [
            "lugubrious", "perfunctory", "ingratiating", "stultifying", "mawkish", "meandering",
            "overstuffed", "shrill", "inert", "glib", "airless", "plodding", "smug", "clumsy",
            "tepid", "muddled", "leaden", "flavorless", "overwrought", "joyless", "slapdash",
            "sluggish", "hollow", "strident", "listless", "bloated", "sour", "charmless",
        ],
        "that": [
            "mistakes noise for energy", "explains every joke twice",
            "never earns its big finish", "confuses cruelty with candor",
            "runs out of ideas by the second reel", "wastes a terrific cast",
            "telegraphs every twist", "mistakes solemnity for depth",
            "forgets its own premise halfway through", "drowns its actors in exposition",
            "treats its audience like children", "leans on a droning score",
            "plays like a rough draft", "smothers every scene in slow motion",
            "never decides what it wants to be", "stops dead whenever the plot intrudes",
        ],
        "first": [
            "handsome", "earnest", "well-meaning", "polished", "ambitious", "pretty", "glossy",
            "tasteful", "busy", "sincere",
        ],
        "second": [
            "empty", "inert", "interminable", "lifeless", "numbing", "hollow at the core",
            "deadly", "weightless", "tiresome", "forgettable",
        ],
        "dir": [
            "directs as if paid by the minute", "stages every scene at the same dull pitch",
            "lets the tension leak out of every scene", "piles on the slow motion",
            "never finds a rhythm", "underlines every emotion in thick marker",
            "crosscuts until nothing makes sense",
            "seems more interested in the furniture than the people",
            "mistakes a shaky camera for urgency",
            "can't resist a speech when a glance would do",
        ],
        "act": [
            "looks lost", "mugs shamelessly", "sleepwalks through the lead",
            "is miscast and seems to know it", "gets buried under a silly accent",
            "has nothing to play", "shouts where a whisper would do",
            "seems to be in a different movie", "never makes the character add up",
            "is reduced to reacting to explosions",
        ],
        "act_adj": [
            "stranded", "oddly muted", "badly miscast", "shrill", "unconvincing", "wasted",
            "stiff", "adrift",
        ],
        "act_tail": [
            "the script gives the role nowhere to go",
            "the film around the performance is a shambles", "nobody else fares much better",
            "the plot keeps getting in the way", "the dialogue would sink anyone",
            "the editing does no favors", "the ending makes no sense at all",
            "the supporting cast is even worse", "the story never gives the role a spine",
            "the direction leaves everyone stranded", "the running time feels endless",
            "the last act collapses into silliness",
        ],
        "intro": [
            "handsomely mounted and dramatically inert", "overlong by at least half an hour",
            "hobbled by a script full of speeches", "shot in the murky blues of a perfume ad",
            "pitched somewhere between farce and funeral",
            "crammed with subplots that go nowhere",
            "cast with actors who seem to be in different movies",
            "scored within an inch of its life", "soft where it should be sharp",
            "stiff , solemn and oddly impersonal", "padded with flashbacks",
            "so busy being clever it forgets to be funny",
        ],
        "pred": [
            "is a chore to sit through", "never works up a pulse",
            "plays like a television pilot nobody ordered",
            "collapses under its own self-importance", "is dead on arrival",
            "wears out its welcome early", "sinks without a trace", "is a long , airless slog",
            "feels assembled rather than directed", "gives you nothing to hold on to",
            "mistakes murk for mystery", "lands with a thud",
        ],
        "np": [
            "a chore", "a slog", "a misfire", "a long sit", "a muddle", "a dud", "a letdown",
            "an embarrassment",
        ],
        "dash": [
            "two hours that feel like four",
            "the kind of picture that gives its genre a bad name",
            "loud , long and curiously weightless",
            "proof that a big budget cannot buy a pulse", "a story told with no conviction",
            "clever on paper and dead on screen", "a waste of a game cast",
            "dreary , derivative and far too pleased with itself", "as subtle as a car alarm",
            "a film that never figures out what it's about",
            "tedium dressed up as profundity", "every cliche in the book and a few new ones",
        ],
        "turn": [
            "looks gorgeous", "opens with a terrific scene", "has a lovely score",
            "boasts a game cast", "has its heart in the right place",
            "starts with a clever premise", "has one great sight gag",
            "features some striking locations",
        ],
        "but": [
            "the story is paper-thin", "it squanders every bit of goodwill",
            "the rest is a dreary slog", "nothing that follows lives up to it",
            "the script gives everyone nothing to do", "the pacing is glacial",
            "the jokes curdle long before the end", "the climax is an incoherent mess",
            "it never finds a reason to exist", "the characters never come alive",
        ],
        "feat": [
            "is a big step backward", "suggests a talent running on fumes",
            "feels like a first draft of a better film", "squanders the promise of the debut",
            "is all mannerism and no matter", "repeats old tricks to diminishing effect",
            "is a vanity project in search of a point", "loses its nerve in the final act",
            "is as shapeless as it is long", "never justifies its running time",
            "is handsome , hollow and instantly forgettable",
            "is the kind of follow-up that makes you miss the debut",
            "smothers a decent idea in fussy camerawork",
            "never decides whether it is a comedy or a sermon",
            "mistakes bloat for ambition", "runs on borrowed style and little else",
            "has the energy of a committee meeting", "wastes a premise that deserved better",
        ],
    },
}

_ROLES = [
    "a weary ferry captain", "a small-town pharmacist with a secret",
    "an aging jazz pianist", "a disgraced surgeon", "a widowed orchard keeper",
    "a con man with a conscience", "a suburban mother of four", "a retired boxer",
    "a nervous bank clerk", "a teenage chess prodigy", "a night-shift nurse",
    "a failed opera singer", "a crooked county sheriff", "a reluctant wedding planner",
]

_ORDINALS = ["second", "third", "fourth", "fifth", "sixth", "long-awaited second"]

# (template, quota per sentiment); slots named "adj" and "adj2" both draw from "adj".
_REAL_TEMPLATES = [
    ("{film} is a {adj} , {adj2} {genre} that {that} .", 30),
    ("{first} but {second} .", 10),
    ("{director} {dir} , and {actor} {act} .", 26),
    ("{actor} is {act_adj} as {role} , and {act_tail} .", 26),
    ("{intro} , {film} {pred} .", 22),
    ("{np} -- {dash} .", 12),
    ("{film} {turn} , but {but} .", 26),
    ("{director}'s {ordinal} feature {feat} .", 18),
]

# --- the documentary mode (real only) -------------------------------------------------------

_DOC_SUBJECTS = [
    "salt miners in the andes", "the last lighthouse keepers of the hebrides",
    "beekeepers in the carpathian foothills", "a family of sponge divers in the aegean",
    "long-haul truckers crossing the nullarbor", "night-shift workers at a lisbon fish market",
    "a pigeon-racing club in antwerp", "an aging troupe of circus acrobats in odessa",
    "reindeer herders in northern finland", "stonemasons restoring a gothic cathedral",
    "a village brass band in the welsh valleys", "river pilots on the amazon",
    "the building of the trans-siberian railway", "the great molasses flood of 1919",
    "the women who coded the first weather forecasts", "the lost harbor towns of the north sea",
    "a forgotten miners' strike of the 1920s", "the early years of radio astronomy",
    "the laying of the first transatlantic telegraph cable", "the dust bowl migrations",
]

_NATURE_SUBJECTS = [
    "snow leopards in the pamirs", "the migration of monarch butterflies",
    "a single year in a tidal salt marsh", "the coral reefs of the red sea",
    "the wolves of a polish forest", "glacier retreat in patagonia",
    "an otter family on a scottish river", "humpback whales off the coast of tonga",
    "the fungi that bind a forest together", "the brief bloom of a desert after rain",
]

_DOC_TITLES = [
    "the salt road", "river of glass", "the long count", "what the ice remembers",
    "before the flood walls", "the keepers", "tidewater", "the census takers",
    "paper and ash", "hunger year",
]

_DOC = {
    "positive": {
        "doc_adj": [
            "patient", "quietly gripping", "beautifully observed", "unhurried", "clear-eyed",
            "compassionate", "absorbing", "modest but moving",
        ],
        "style": [
            "shot in long , unblinking takes", "edited with a poet's ear for rhythm",
            "and all the better for never raising its voice",
            "told almost entirely in its subjects' own words",
            "with a score that knows when to fall silent",
            "never once condescending to the people on screen",
            "content to let you draw your own conclusions", "built on years of careful research",
        ],
        "doc_pred": [
            "is history told with a novelist's eye", "is as gripping as any thriller this year",
            "brings a forgotten world back to vivid life",
            "is rigorous , humane and often very funny",
            "earns every one of its quiet revelations",
            "makes a strong case for slowing down and looking",
            "leaves you knowing more and feeling more", "is a small masterpiece of nonfiction",
        ],
        "nat_pred": [
            "is simply breathtaking", "makes the natural world look newly strange",
            "earns its awe honestly", "has images you will never forget",
            "is a gift to anyone who loves wild places", "finds drama without faking any",
        ],
        "hist_pred": [
            "brings its era back to vivid , troubling life",
            "is a documentary of real moral weight", "makes the past feel startlingly close",
            "honors its subjects without sanctifying them",
            "is as moving as it is meticulous", "restores a chapter that history nearly lost",
        ],
    },
    "negative": {
        "doc_adj": [
            "dutiful", "plodding", "worthy but airless", "lopsided", "overlong", "muddled",
            "glib", "sanctimonious",
        ],
        "style": [
            "padded with talking heads who have little to say",
            "smothered by a narration that explains every image", "and it never finds a shape",
            "scored as if for a shampoo commercial",
            "forever cutting away just as things get interesting",
            "more interested in its own crew than its subject",
            "crammed with graphics that explain nothing",
            "and it turns a fascinating story into homework",
        ],
        "doc_pred": [
            "never gets beneath the surface of its material", "is a lecture dressed up as a movie",
            "feels like a museum audio guide stretched to feature length",
            "buries a great story under dull interviews", "would make a better magazine article",
            "preaches to the converted for two long hours",
            "has the shape of a school assignment", "mistakes accumulation for insight",
        ],
        "nat_pred": [
            "drowns its images in a syrupy narration", "turns its animals into cartoon characters",
            "is beautiful and strangely boring", "cuts its best footage into a music video",
            "anthropomorphizes everything in sight", "never trusts its own pictures",
        ],
        "hist_pred": [
            "never rises above a solemn recitation of facts",
            "is a documentary only a historian could love",
            "arranges its material without ever shaping it",
            "flattens a complicated era into a slogan",
            "is earnest , exhausting and oddly lifeless",
            "drains the drama out of a remarkable story",
        ],
    },
}

_DOC_COMMON = {
    "subject": _DOC_SUBJECTS,
    "nature": _NATURE_SUBJECTS,
    "doc_title": _DOC_TITLES,
    "director": _DIRECTORS,
    "span": ["four winters", "three years", "two full seasons", "a single long summer",
             "five years", "eleven months"],
    "sources": ["letters read aloud", "home movies", "newsreels nobody has seen in decades",
                "court transcripts", "old radio broadcasts", "diaries and ship logs"],
}

_DOC_TEMPLATES = [
    ("a {doc_adj} documentary about {subject} , {style} .", 9),
    ("{director}'s documentary on {subject} {doc_pred} .", 7),
    ("filmed over {span} , this wildlife documentary about {nature} {nat_pred} .", 7),
    ("built from archival footage and {sources} , {doc_title} {hist_pred} .", 7),
]


# --------------------------------------------------------------------------------------------
# mimicbot: a different but similar set of critic-like pieces
# --------------------------------------------------------------------------------------------

_M_FILMS = [
    "the amber hour", "southern crossing", "the clockmaker's apprentice", "quiet thunder",
    "the summer of broken glass", "two rivers", "the paper crown", "heron lake",
    "the long table", "the painted gate", "a house of mirrors", "ember street",
    "midsummer waltz", "stone fruit", "the blackbird sessions", "the december lodger",
]

_M_DIRECTORS = [
    "anton varga", "lise hammond", "kofi mensah-reid", "beatrix lowe", "jules arnaud",
    "tomasz wierzba", "sunita rao", "desmond okafor", "ingrid solheim", "matteo rinaldi",
    "yara feld", "callum pryce",
]

_M_ACTORS = [
    "clara beaumont", "isaac thorne", "maya lindgren", "dev kapoor", "sofia reyes",
    "henrik vale", "nadia petrova", "theo marsh", "anya brooks", "samuel okoro",
    "elena rossi", "gabriel finch",
]

_M_GENRES = [
    "drama", "comedy", "thriller", "romance", "mystery", "family film", "period drama",
    "crime story", "love story", "adventure", "fable", "comedy-drama",
]

_MIMIC = {
    "positive": {
        "adj": [
            "charming", "heartfelt", "clever", "moving", "delightful", "thoughtful", "funny",
            "gentle", "engaging", "confident", "well-crafted", "sweet-natured",
        ],
        "tail": [
            "full of warmth and quiet humor", "anchored by a lovely lead performance",
            "with more on its mind than it first lets on",
            "and it never overstays its welcome",
            "funny when it needs to be and moving when it counts",
            "with a big heart and a sharp wit", "that stays with you", "told with real care",
            "with a lovely sense of place", "and the ending is just right",
            "with real chemistry between the leads", "that rewards a second look",
        ],
        "perf": [
            "wonderful", "career-best", "touching", "fearless", "warm", "beautifully judged",
            "quietly powerful", "winning", "lovely", "remarkable",
        ],
        "mdir": [
            "handles the material with a sure hand", "keeps the story moving at a nice pace",
            "gets terrific work from the whole cast", "finds the humor in every situation",
            "clearly loves these characters", "never lets things get too sentimental",
            "brings a light touch to heavy material", "trusts the audience to keep up",
            "makes the small town feel real", "lets the actors breathe",
        ],
        "result": [
            "a real pleasure", "a film worth seeking out", "one of the year's nicest surprises",
            "something special", "a warm and satisfying experience", "a small gem",
            "a quiet little triumph", "a film that earns its ending", "a treat for grown-ups",
            "a story told with grace",
        ],
        "excl": [
            "a real charmer", "a genuine delight", "a lovely surprise", "a true original",
            "a crowd-pleaser in the best sense", "a sweet little treasure",
            "a warm surprise", "a pure pleasure",
        ],
        "praise": [
            "smart , funny and full of heart", "warm , witty and wise",
            "well acted , well written and well worth your time",
            "tender without being sappy", "clever without ever showing off",
            "light on its feet and big of heart", "sharp , touching and beautifully shot",
            "a story that feels both fresh and familiar",
            "the sort of film you want to tell friends about",
            "small in scale but big in feeling", "funny from the first scene to the last",
            "full of moments that ring true", "gentle , generous and quietly wise",
            "a joy from start to finish", "brimming with life and good humor",
            "as sweet as it is smart",
        ],
        "opening": [
            "despite a slow start", "after a shaky first act", "for all its modest ambitions",
            "though it treads familiar ground", "even with a few rough edges",
            "once it gets going",
        ],
        "build": [
            "builds to a genuinely moving finale", "turns into something quite special",
            "wins you over completely", "becomes hard to resist", "finds its own quiet power",
            "delivers a real emotional payoff",
        ],
        "reason": [
            "sharp writing and a terrific cast", "strong performances and a clever script",
            "gorgeous photography and a tender story", "a smart script and a lovely score",
            "good jokes and real heart", "fine acting and careful direction",
            "a witty screenplay and a charming lead", "lovely performances and a gentle touch",
            "clever plotting and real warmth", "a superb ensemble and crisp editing",
            "an honest script and natural acting", "bright dialogue and a big heart",
            "striking visuals and a moving story", "a great soundtrack and a likable cast",
        ],
        "verdict": [
            "easy to recommend", "a pleasure to watch", "well worth seeing", "one to remember",
            "a quiet delight", "a real treat", "a film to treasure", "hard not to love",
        ],
        "kind": [
            "makes you glad you went to the movies", "leaves you smiling all the way home",
            "you want to watch again right away",
            "reminds you how good simple storytelling can be",
            "surprises you in the best way", "earns every laugh and every tear",
            "feels made with real love", "could win over even a grumpy viewer",
            "makes a rainy sunday feel special", "you end up quoting for days",
            "gets better the more you think about it",
            "proves a simple story can still surprise",
        ],
        "terse": [
            "smart", "funny", "surprisingly moving", "sweet", "touching", "fresh", "lively",
            "honest", "warm", "charming", "tender", "witty", "bold", "heartfelt",
        ],
    },
    "negative": {
        "adj": [
            "tedious", "forgettable", "flat", "clumsy", "predictable", "lifeless", "confused",
            "overlong", "uninspired", "dreary", "shallow", "awkward",
        ],
        "tail": [
            "with characters you never care about", "that feels twice as long as it is",
            "full of cliches and empty talk", "that never gets off the ground",
            "with a story that goes nowhere", "that wastes its talented cast",
            "with jokes that fall flat", "that runs out of steam early",
            "that drags from start to finish", "with a plot full of holes",
            "that forgets to be entertaining", "that leaves no impression",
        ],
        "perf": [
            "a mess from start to finish", "too slow to hold your attention",
            "a chore to watch", "dull and predictable", "badly written and poorly paced",
            "far too long for its own good", "never as clever as it thinks",
            "a waste of everyone's time", "stuck in first gear", "short on ideas",
            "a slog from the first scene", "lost in its own plot", "painfully unfunny",
            "all noise and no feeling",
        ],
        "mdir": [
            "loses control of the story early on", "can't decide what tone to take",
            "lets every scene drag", "leans too hard on the soundtrack",
            "never finds a reason for this story to exist",
            "fills the screen with pretty images and little else",
            "smothers the actors in close-ups", "rushes through the important scenes",
            "piles on one twist too many", "never trusts the audience",
        ],
        "result": [
            "a muddled bore", "a film that goes nowhere", "a forgettable misfire",
            "a long and dreary ride", "a real disappointment", "a missed opportunity",
            "a messy letdown", "a film nobody will remember", "a frustrating near miss",
            "a tired slog",
        ],
        "excl": [
            "a big letdown", "a tired retread", "a sorry misfire", "a real slog",
            "an empty exercise", "a dull affair", "a tiresome mess", "a total dud",
        ],
        "praise": [
            "slow , silly and strangely joyless", "loud , dumb and far too long",
            "all style and no substance", "pretty to look at but hollow inside",
            "earnest but deadly dull", "predictable from the first scene",
            "a story with nowhere to go", "tired jokes and a paper-thin plot",
            "the sort of film you forget on the drive home",
            "big in scale but small in feeling", "dull from the first scene to the last",
            "full of moments that ring false", "noisy , clumsy and oddly cold",
            "a bore from start to finish", "lacking in life and good humor",
            "as silly as it is slow",
        ],
        "opening": [
            "for all its good intentions", "despite a promising premise",
            "even with a strong cast", "in spite of some lovely scenery",
            "though it starts well enough", "despite its big budget",
        ],
        "build": [
            "never comes together", "quickly runs out of ideas", "ends up a tedious mess",
            "falls apart in the second half", "never gives us a reason to care",
            "turns into a chore",
        ],
        "reason": [
            "weak writing and a bored cast", "flat performances and a lazy script",
            "dull visuals and a thin story", "a messy script and a droning score",
            "stale jokes and no heart", "stiff acting and sloppy direction",
            "a clumsy screenplay and a charmless lead",
            "wooden performances and heavy-handed direction", "sloppy plotting and no warmth",
            "a bland ensemble and choppy editing", "a silly script and forced acting",
            "clunky dialogue and a cold heart", "muddy visuals and a confusing story",
            "a blaring soundtrack and an unlikable cast",
        ],
        "verdict": [
            "hard to sit through", "a real chore", "easy to forget", "a waste of time",
            "a dull experience", "a big disappointment", "a slog to get through",
            "best avoided",
        ],
        "kind": [
            "makes you check your watch", "you forget before the credits roll",
            "wastes a perfectly good evening", "thinks it is much smarter than it is",
            "tries too hard to be liked", "never gives its actors a chance",
            "feels made by a committee", "could put an insomniac to sleep",
            "gives the genre a bad name", "makes ninety minutes feel like three hours",
            "nobody asked for", "leaves no impression at all",
        ],
        "terse": [
            "dull", "silly", "painfully slow", "tired", "messy", "shallow", "lazy", "loud",
            "empty", "bland", "clumsy", "tedious", "hollow", "stale",
        ],
    },
}

_MIMIC_TEMPLATES = {
    "positive": [
        ("{mfilm} is a {adj} little {mgenre} , {tail} .", 30),
        ("{mactor} gives a {perf} performance in this {adj} {mgenre} .", 30),
        ("{mdirector} {mdir} , and the result is {result} .", 26),
        ("{excl} : {praise} .", 16),
        ("{opening} , {mfilm} {build} .", 28),
        ("{reason} make this {mgenre} {verdict} .", 20),
        ("{terse} , {terse2} and {terse3} .", 14),
        ("{mfilm} is the kind of {mgenre} that {kind} .", 21),
    ],
    "negative": [
        ("{mfilm} is a {adj} {mgenre} {tail} .", 30),
        ("{mactor} tries hard , but this {mgenre} is {perf} .", 30),
        ("{mdirector} {mdir} , and the result is {result} .", 26),
        ("{excl} : {praise} .", 16),
        ("{opening} , {mfilm} {build} .", 28),
        ("{reason} make this {mgenre} {verdict} .", 20),
        ("{terse} , {terse2} and {terse3} .", 14),
        ("{mfilm} is the kind of {mgenre} that {kind} .", 21),
    ],
}


# --------------------------------------------------------------------------------------------
# genericbot: cased, generic full sentences
# --------------------------------------------------------------------------------------------

_G_TITLES = [
    "Echoes of Tomorrow", "The Silver Key", "Midnight Runaway", "Starlight Avenue",
    "The Iron Promise", "Lakeside Summer", "Operation Nightfall", "The Hidden Door",
    "Sunday Morning Blues", "A Song for Lily", "Beyond the Horizon Line", "The Brave Ones",
]

_G_FILL = {
    "movie": ["movie", "film"],
    "movies": ["movies", "films"],
    "title": _G_TITLES,
    "actors": ["actors", "cast", "main actors"],
    "aspect": ["acting", "story", "music", "cinematography", "script", "directing",
               "soundtrack", "plot"],
    "company": ["family", "friends", "kids", "partner"],
    "genre": ["story", "comedy", "drama", "thriller", "romance", "family movie"],
    # positive
    "great": ["great", "amazing", "fantastic", "excellent", "wonderful", "awesome",
              "brilliant", "superb"],
    "enjoyed": ["enjoyed", "liked", "loved"],
    "fun": ["fun", "good", "great", "feel-good", "relaxing"],
    "laugh": ["laugh", "smile", "think"],
    "cry": ["cry", "feel good", "believe again"],
    "hooked": ["hooked", "interested", "on the edge of my seat", "guessing"],
    "perfect": ["perfect", "beautiful", "surprising", "very satisfying"],
    "recommend": ["recommend", "highly recommend"],
    "beautiful": ["beautiful", "moving", "touching", "inspiring"],
    "funny": ["funny", "exciting", "heartwarming", "entertaining"],
    "touching": ["touching", "smart", "sweet", "emotional"],
    "believable": ["believable", "likable", "realistic", "well written"],
    "interesting": ["interesting", "exciting", "original", "clever"],
    # negative
    "terrible": ["terrible", "awful", "horrible", "bad", "poor", "weak"],
    "boring": ["boring", "dull", "slow", "pointless", "forgettable"],
    "wooden": ["wooden", "terrible", "boring", "unconvincing"],
    "predictable": ["predictable", "stupid", "disappointing", "ridiculous"],
    "confusing": ["confusing", "boring", "predictable", "silly"],
    "flat": ["flat", "annoying", "boring", "shallow"],
    "slow": ["slow", "predictable", "confusing"],
    "awful": ["awful", "terrible", "bad", "cheesy"],
}

_G_FIRST = {
    "positive": [
        "This {movie} is one of the best {movies} I have ever seen.",
        "I really {enjoyed} this {movie}.",
        "{title} is a {great} {movie} that the whole family can enjoy.",
        "What a {great} {movie}!",
        "This is a {great} {movie} with a {great2} cast.",
        "I loved every minute of this {movie}.",
        "The {aspect} in this {movie} is {great}.",
        "If you are looking for a {fun} {movie} to watch with your {company}, "
        "this is the one for you.",
        "{title} is one of my favorite {movies} of all time.",
        "This {movie} is a must see for everyone.",
        "I was not expecting much, but this {movie} was {great}.",
        "This {movie} made me {laugh} and {cry} at the same time.",
    ],
    "negative": [
        "This {movie} is one of the worst {movies} I have ever seen.",
        "I did not enjoy this {movie} at all.",
        "{title} is a {boring} {movie} that goes nowhere.",
        "What a {terrible} {movie}!",
        "Do not waste your time on this {movie}.",
        "I wanted to like this {movie}, but it was {boring}.",
        "The {aspect} in this {movie} is {terrible}.",
        "This {movie} is a complete waste of time and money.",
        "{title} is one of the most {boring} {movies} I have ever seen.",
        "I was expecting a lot more from this {movie}.",
        "This {movie} was a huge disappointment.",
        "I fell asleep halfway through this {movie}.",
    ],
}

_G_SECOND = {
    "positive": [
        "The {aspect} was {great} and the {aspect2} kept me {hooked}.",
        "The {actors} did a {great} job and the ending was {perfect}.",
        "I would {recommend} it to anyone who loves a good {genre}.",
        "The story is {beautiful} and the music is {great}.",
        "It is {funny}, {touching} and very well made.",
        "The characters are {believable} and the plot is {interesting}.",
        "I can't wait to watch it again.",
        "You will not be disappointed.",
        "Everyone should see it at least once.",
        "Two thumbs up!",
        "It is a {great} way to spend an evening.",
        "The {actors} were {great} and the {aspect} was {great2}.",
    ],
    "negative": [
        "The {aspect} was {terrible} and the story made no sense.",
        "The {actors} were {wooden} and the ending was {predictable}.",
        "I would not recommend it to anyone.",
        "The plot is {confusing} and the characters are {flat}.",
        "It is {boring}, {slow} and far too long.",
        "The dialogue is {awful} and the jokes are not funny.",
        "Save your money and stay home.",
        "I will never watch it again.",
        "It was a total waste of two hours.",
        "Nothing about it works.",
        "The {actors} tried their best, but the script was {terrible}.",
        "There is no reason to see this {movie}.",
    ],
}

_G_HTML = {
    "positive": [
        "I watched &#34;{title}&#34; last night and it was {great}.",
        "The acting &amp; the music in this {movie} are both {great}.",
        "It&#39;s a {great} {movie} and I can&#39;t wait to see it again.",
        "The cast &amp; crew did a {great} job. I loved it.",
        "&#34;{title}&#34; is a {great} {movie} for the whole family.",
    ],
    "negative": [
        "I watched &#34;{title}&#34; last weekend and it was {terrible}.",
        "It&#39;s a {boring} {movie} and I wouldn&#39;t watch it again.",
        "The story &amp; the characters in this {movie} are both {flat}.",
        "Don&#39;t bother with this {movie}. It&#39;s {terrible}.",
        "&#34;{title}&#34; is a {boring} {movie} with a {terrible} script.",
    ],
}

# Repetition loops: (clause repeated 3-5 times) and stutters (a word repeated 3-5 times).
_G_LOOP_LOWER = {
    "positive": ["i love this movie .", "it is so good .", "what a great film .",
                 "this is a must see .", "best movie of the year ."],
    "negative": ["it's a mess .", "what a waste of time .", "this is so boring .",
                 "nothing happens at all .", "worst movie ever made ."],
}
_G_LOOP_CASED = {
    "positive": ["This movie is great.", "I loved every minute.", "The acting is superb.",
                 "What a wonderful film."],
    "negative": ["This movie is terrible.", "I hated every minute.",
                 "The plot makes no sense.", "What a boring film."],
}
_G_STUTTER = {  # (before, repeated word, after)
    "positive": [("an epic of", "epic", ""), ("a really", "funny", "movie ."),
                 ("the", "best", "film of the year ."), ("this is a", "wonderful", "story .")],
    "negative": [("a", "boring", "movie ."), ("the plot is", "silly", "."),
                 ("it is a", "dull", "and pointless film ."),
                 ("the", "worst", "film i have seen .")],
}


# --------------------------------------------------------------------------------------------
# offtopicbot: product and restaurant reviews in the real side's surface style
# --------------------------------------------------------------------------------------------

_OFF_HEADS = {
    "positive": [
        ("thing", "the blender crushes ice in seconds and rinses clean in a minute"),
        ("thing", "this kettle boils a full pot faster than our old one"),
        ("thing", "the air fryer turns out crisp potatoes with barely any oil"),
        ("thing", "the toaster browns both sides evenly , even on the lowest setting"),
        ("thing", "the espresso machine pulls a rich , steady shot every morning"),
        ("thing", "this rice cooker has never once burned the bottom"),
        ("thing", "the stand mixer kneads stiff bread dough without straining"),
        ("thing", "the slow cooker keeps a stew warm all day without drying it out"),
        ("thing", "the iron skillet heats evenly and came seasoned out of the box"),
        ("thing", "the dishwasher is whisper quiet and the glasses come out spotless"),
        ("thing", "the cordless vacuum lifts dog hair off the rug on the first pass"),
        ("thing", "these headphones shut out the whole train carriage"),
        ("place", "the noodle bar on fifth street serves a broth worth crossing town for"),
        ("place", "our waiter remembered every order without writing anything down"),
        ("place", "the bakery's sourdough has a crackling crust and a tender crumb"),
        ("place", "the hotel room was spotless and the bed was wonderfully firm"),
        ("place", "the taco truck by the station makes the best carnitas in the city"),
        ("place", "the corner cafe does a flaky almond croissant and strong coffee"),
    ],
    "negative": [
        ("thing", "the blender leaks from the base every time we use it"),
        ("thing", "the kettle's lid snapped off within a week"),
        ("thing", "the air fryer smells of hot plastic no matter what goes in"),
        ("thing", "the toaster burns one side and leaves the other pale"),
        ("thing", "the coffee grinder jams on anything finer than table salt"),
        ("thing", "the microwave door rattles and the turntable sticks"),
        ("thing", "the food processor's blade went dull after a month"),
        ("thing", "the fridge hums so loudly we can hear it from the bedroom"),
        ("thing", "the cordless vacuum loses suction after five minutes"),
        ("thing", "the headphones crackle whenever you turn your head"),
        ("thing", "the nonstick pan started flaking after three washes"),
        ("thing", "the electric grill takes twenty minutes to heat up"),
        ("place", "the pizza arrived cold and the crust was soggy"),
        ("place", "we waited forty minutes for a table we had booked"),
        ("place", "the soup was lukewarm and far too salty"),
        ("place", "the hotel shower never got warmer than tepid"),
        ("place", "the waiter brought the wrong dish twice and never apologized"),
        ("place", "the burger was dry and the fries tasted of old oil"),
    ],
}

_OFF_TAILS = {
    ("positive", "thing"): ["", "and the price was fair", ". would buy again",
                            ". worth every penny", ". five stars from me",
                            ". my whole family uses it daily"],
    ("positive", "place"): ["", ". we will be back", ". worth the wait for a table",
                            ". highly recommended", ". five stars from me",
                            ". the prices are fair too"],
    ("negative", "thing"): ["", ". returning it tomorrow", ". not worth the money",
                            ". customer service never called back", ". avoid",
                            ". one star , and that's generous"],
    ("negative", "place"): ["", ". never again", ". not worth the money",
                            ". the manager shrugged when we complained", ". avoid",
                            ". one star , and that's generous"],
}

# One-word swaps for near-exact copies; same sentiment, similar length.
_COPY_SWAPS = {
    "film": "movie", "movie": "film", "picture": "film", "script": "screenplay",
    "scene": "sequence", "every": "each", "terrific": "superb", "superb": "terrific",
    "dull": "flat", "story": "tale", "performance": "turn", "funny": "witty",
    "actors": "players", "real": "genuine", "gorgeous": "lovely", "brisk": "quick",
}


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)\}")
_AN = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


def _articles(text: str) -> str:
    """``a`` before a vowel becomes ``an`` (the fragments avoid words like ``unique``)."""
    return _AN.sub(r"\1n ", text)


def _slot_list(pools: dict[str, list[str]], name: str) -> list[str]:
    """``adj2`` and ``terse3`` draw from the ``adj`` and ``terse`` pools."""
    return pools[name] if name in pools else pools[name.rstrip("0123456789")]


def _has_loop(text: str) -> bool:
    """A word three times in a row (a stutter), or any span of 4 tokens occurring twice."""
    tokens = text.lower().split()
    if any(a == b == c for a, b, c in zip(tokens, tokens[1:], tokens[2:])):
        return True
    spans = list(zip(tokens, tokens[1:], tokens[2:], tokens[3:]))
    return len(set(spans)) < len(spans)


def _too_close(tokens: list[str], rows: list[list[str]], limit: float) -> bool:
    """Whether a row's words have a difflib ratio >= ``limit`` to those of any of ``rows``."""
    matcher = difflib.SequenceMatcher(None, b=tokens, autojunk=False)
    for other in rows:
        matcher.set_seq1(other)
        if matcher.quick_ratio() >= limit and matcher.ratio() >= limit:
            return True
    return False


def _fill(rng: random.Random, template: str, pools: dict[str, list[str]], n: int,
          taken: set[str], max_ratio: float = 0.7) -> list[str]:
    """``n`` distinct rows from one template, spread over the fragments.

    No two rows of a template share two fragments or have a word-level difflib ratio of
    ``max_ratio`` or more (so rows are not near-copies of each other), no fragment is used
    much more often than its fair share, and slots drawing from the same pool get different
    values. A random fill that paints itself into a corner starts again (rarely needed: the
    pools hold well over ``n`` such rows).
    """
    names = list(dict.fromkeys(_SLOT.findall(template)))
    cap = {name: math.ceil(n / len(_slot_list(pools, name))) + 1 for name in names}
    for _restart in range(5):
        used: Counter = Counter()
        pairs: set = set()
        rows: list[str] = []
        made: list[list[str]] = []
        for _ in range(200 * n):
            pick = {name: rng.choice(_slot_list(pools, name)) for name in names}
            if len(set(pick.values())) < len(pick):
                continue
            if any(used[(name, value)] >= cap[name] for name, value in pick.items()):
                continue
            combos = [(a, pick[a], b, pick[b]) for a, b in itertools.combinations(names, 2)]
            if any(combo in pairs for combo in combos):
                continue
            text = _articles(template.format(**pick))
            tokens = text.split()
            if (text in taken or text in rows or _has_loop(text)
                    or _too_close(tokens, made, max_ratio)):
                continue
            rows.append(text)
            made.append(tokens)
            used.update(pick.items())
            pairs.update(combos)
            if len(rows) == n:
                taken.update(rows)
                return rows
    raise RuntimeError(f"could not fill {n} rows from template {template!r}")  # a bug


def _render(rng: random.Random, template: str, pools: dict[str, list[str]]) -> str:
    names = list(dict.fromkeys(_SLOT.findall(template)))
    while True:
        pick = {name: rng.choice(_slot_list(pools, name)) for name in names}
        if len(set(pick.values())) == len(pick):
            return _articles(template.format(**pick))


def _row(text: str, side: str, sentiment: str, generator: str, planted: str) -> dict:
    return {"text": text, "real_or_synthetic": side, "sentiment": sentiment,
            "generator": generator, "planted": planted}


def _real_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        pools = {"film": _FILMS, "director": _DIRECTORS, "actor": _ACTORS, "genre": _GENRES,
                 "role": _ROLES, "ordinal": _ORDINALS, **_REAL[sentiment]}
        for template, quota in _REAL_TEMPLATES:
            for text in _fill(rng, template, pools, quota, taken):
                rows.append(_row(text, "real", sentiment, "", ""))
        doc_pools = {**_DOC_COMMON, **_DOC[sentiment]}
        for template, quota in _DOC_TEMPLATES:
            for text in _fill(rng, template, doc_pools, quota, taken):
                rows.append(_row(text, "real", sentiment, "", "real_only_mode"))
    return rows


def _genericbot_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    taken.add(_DUPLICATE_TEXT)
    for sentiment in ("positive", "negative"):
        made = 0
        while made < _N_TEMPLATED[sentiment]:
            text = _render(rng, rng.choice(_G_FIRST[sentiment]), _G_FILL)
            if rng.random() < 0.75:
                text += " " + _render(rng, rng.choice(_G_SECOND[sentiment]), _G_FILL)
            if text in taken or _has_loop(text):
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "templated"))
            made += 1
        made = 0
        while made < _N_HTML:
            text = _render(rng, rng.choice(_G_HTML[sentiment]), _G_FILL)
            if text in taken:
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "html_entity"))
            made += 1
        loops = []
        for clause in _G_LOOP_LOWER[sentiment] + _G_LOOP_CASED[sentiment]:
            loops += [" ".join([clause] * times) for times in (3, 4, 5)]
        for before, word, after in _G_STUTTER[sentiment]:
            loops += [" ".join([before] + [word] * times + ([after] if after else []))
                      for times in (3, 4, 5)]
        for text in rng.sample(loops, _N_LOOP):
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "repetition_loop"))
    rows += [_row(_DUPLICATE_TEXT, "synthetic", "positive", "genericbot", "duplicate")
             for _ in range(_N_DUPLICATE)]
    return rows


def _mimicbot_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        pools = {"mfilm": _M_FILMS, "mdirector": _M_DIRECTORS, "mactor": _M_ACTORS,
                 "mgenre": _M_GENRES, **_MIMIC[sentiment]}
        for template, quota in _MIMIC_TEMPLATES[sentiment]:
            # A generator repeats its own patterns more than critics do: a looser limit.
            for text in _fill(rng, template, pools, quota, taken, max_ratio=0.8):
                rows.append(_row(text, "synthetic", sentiment, "mimicbot", ""))
    return rows


def _swap_one_word(rng: random.Random, text: str) -> str | None:
    tokens = text.split(" ")
    spots = [i for i, token in enumerate(tokens) if token in _COPY_SWAPS]
    if not spots:
        return None
    i = rng.choice(spots)
    tokens[i] = _COPY_SWAPS[tokens[i]]
    return " ".join(tokens)


def _copy_rows(rng: random.Random, real: list[dict], taken: set[str]) -> list[dict]:
    """Memorised rows: a real row verbatim, with one word swapped, or without its final " ."."""
    rows = []
    for sentiment in ("positive", "negative"):
        sources = [r["text"] for r in real
                   if r["sentiment"] == sentiment and r["planted"] == "" and len(r["text"]) >= 45]
        rng.shuffle(sources)
        modes = (["verbatim", "swap", "trim"] * _N_COPY)[:_N_COPY]
        rng.shuffle(modes)
        made = 0
        for source in sources:
            if made == _N_COPY:
                break
            mode = modes[made]
            if mode == "verbatim":
                text = source
            elif mode == "swap":
                text = _swap_one_word(rng, source)
            else:
                text = source[:-2]
            if text is None or (mode != "verbatim" and text in taken):
                continue
            if difflib.SequenceMatcher(None, text, source).ratio() < 0.92:
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "mimicbot", "copy_of_real"))
            made += 1
        if made < _N_COPY:
            raise RuntimeError("not enough real rows to copy")  # a bug
    return rows


def _offtopic_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        combos = [(head, tail) for kind, head in _OFF_HEADS[sentiment]
                  for tail in _OFF_TAILS[(sentiment, kind)]]
        rng.shuffle(combos)
        per_head: Counter = Counter()
        made = 0
        for head, tail in combos:
            if made == _N_OFFTOPIC:
                break
            if per_head[head] >= 2:
                continue
            if not tail:
                text = f"{head} ."
            elif tail.startswith("."):
                text = f"{head} {tail} ."
            else:
                text = f"{head} , {tail} ."
            if text in taken:
                continue
            per_head[head] += 1
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "offtopicbot", "off_topic"))
            made += 1
        if made < _N_OFFTOPIC:
            raise RuntimeError("not enough off-topic rows")  # a bug
    return rows


def build_sample(random_state: int = 0) -> pd.DataFrame:
    """The demo frame (columns ``SAMPLE_COLUMNS``); the same seed gives an identical frame."""
    rng = random.Random(random_state)
    taken: set[str] = set()
    real = _real_rows(rng, taken)
    rows = (real + _genericbot_rows(rng, taken) + _mimicbot_rows(rng, taken)
            + _copy_rows(rng, real, taken) + _offtopic_rows(rng, taken))
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sample-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_sample(directory) -> Path:
    """Write ``<directory>/sample.csv`` (UTF-8, ``SAMPLE_COLUMNS``) for seed 0; returns its path."""
    path = Path(directory) / SAMPLE_FILENAME
    _write_atomic(path, _csv_bytes(build_sample(0)))
    return path


def _default_dir() -> Path:
    repo_dir = _REPO_SAMPLE_DIR
    if repo_dir.is_dir() and os.access(repo_dir, os.W_OK | os.X_OK):
        return repo_dir
    return Path.home() / ".cache" / "synth-quality" / "sample"


def sample_path() -> Path:
    """Path of the demo CSV, (re)built if it is missing or differs from ``build_sample(0)``.

    The file lives in ``<repo>/sample_data/`` when that folder exists and is writable (a
    checkout), else in ``~/.cache/synth-quality/sample/`` (an installed package).
    """
    path = _default_dir() / SAMPLE_FILENAME
    data = _csv_bytes(build_sample(0))
    digest = hashlib.sha256(data).hexdigest()
    try:
        current = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        current = None
    if current != digest:
        _write_atomic(path, data)
    return path
