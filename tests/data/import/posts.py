"""The posts of the import fixtures (written for these tests; bland, general skin-care text, never
added to knowledge/). `make_fixtures.py` writes them as a WordPress export, saved HTML pages and a
CSV in the shapes real Q&A blogs use; the tests compare what the import reads with these values.

Each post: slug, title (the reader's own title), letter (the reader's words, or None: the title
is the question), question (what the import must take as the question), answer (paragraphs;
a paragraph that is a list is a list of items), sign (the doctor's sign-off).
"""

from __future__ import annotations

SITE = "https://drvera-skin-notes.example"

POSTS: list[dict] = [
    {
        "slug": "flying-after-filler",
        "title": "Flying after filler",
        "letter": [
            "Dear Dr Vera,",
            "I’m booked in for cheek filler on a Thursday and I fly to Lisbon for a wedding on "
            "the Saturday. How soon can I fly after having dermal filler? My friend said the "
            "cabin pressure can move it.",
            "Thanks so much, Priya",
        ],
        "question": "How soon can I fly after having dermal filler?",
        "answer": [
            "Cabin pressure does not move filler that has been placed well. Most people fly a "
            "day or two after treatment without any trouble.",
            "The real reasons to leave a gap are practical:",
            [
                "Swelling and bruising are at their worst in the first 48 hours.",
                "If a problem does come up, you want to be near the clinic that treated you.",
                "Long flights make hands and faces puff up a little anyway.",
            ],
            "If you can, have the treatment a week or two before a big event.",
        ],
        "sign": "Warmly,\nDr Vera",
    },
    {
        "slug": "sheet-masks-every-day",
        "title": "A sheet mask a day?",
        "letter": [
            "Hi doctor! I love the feeling of a sheet mask after work. Is it safe to use a sheet "
            "mask every single day, or is that too much for my skin?",
            "Mel",
        ],
        "question": "Is it safe to use a sheet mask every single day, or is that too much for my skin?",
        "answer": [
            "For most skin a plain hydrating sheet mask every day is fine. It is mostly water, "
            "glycerin and a few soothing ingredients.",
            "Be more careful with masks that contain acids, strong fragrance or essential oils: "
            "those are better kept to once or twice a week.",
            "If you notice stinging, redness or little bumps, take a break for a week.",
        ],
        "sign": "— Dr Vera",
    },
    {
        "slug": "silk-pillowcases",
        "title": "Do silk pillowcases prevent sleep wrinkles?",
        "letter": None,
        "question": "Do silk pillowcases prevent sleep wrinkles?",
        "answer": [
            "Sleep lines come from pressing the same side of the face into the pillow night after "
            "night. A smoother fabric like silk may drag a little less on the skin, but there is "
            "little good evidence that it prevents lines.",
            "Sleeping on your back helps more than any fabric. A silk pillowcase is a pleasant "
            "extra, not a treatment.",
        ],
        "sign": "Dr V.",
    },
    {
        "slug": "micellar-water-and-sunscreen",
        "title": "Is micellar water enough?",
        "letter": [
            "Dear Doctor,",
            "I wear a water-resistant sunscreen every day & I take it off with micellar water "
            "on a cotton pad. Is micellar water enough to remove water-resistant sunscreen at "
            "night? My skin looks fine but I wonder.",
            "Best, Tom",
        ],
        "question": "Is micellar water enough to remove water-resistant sunscreen at night?",
        "answer": [
            "Micellar water lifts a lot of sunscreen, but water-resistant formulas are made to "
            "cling to the skin, so some is often left behind.",
            "A simple routine that works for most people:",
            [
                "Use micellar water or a cleansing balm first.",
                "Follow with a gentle cleanser and lukewarm water.",
                "Pat dry and moisturise.",
            ],
        ],
        "sign": "Take care,\nDr Vera",
    },
    {
        "slug": "facial-steamer-rosacea",
        "title": "Steaming with rosacea",
        "letter": [
            "Hello Dr Vera, I was given a facial steamer for my birthday. I have mild rosacea on "
            "my cheeks. Can I use a facial steamer if I have rosacea? I don’t want to make the "
            "redness worse.",
        ],
        "question": "Can I use a facial steamer if I have rosacea?",
        "answer": [
            "I would pass the steamer on to a friend. Heat is one of the most common triggers of "
            "rosacea flushing, and steam brings heat right up to the face.",
            "Lukewarm water, a gentle cleanser and a fragrance-free moisturiser are kinder to "
            "skin that flushes easily.",
        ],
        "sign": "Warm wishes,\nDr Vera",
    },
    {
        "slug": "dry-or-dehydrated",
        "title": "Dry or dehydrated?",
        "letter": [
            "Dear Dr Vera, every shop assistant tells me something different. How can I tell "
            "whether my skin is dry or just dehydrated? It feels tight but I still get a shiny "
            "nose by lunch.",
            "Many thanks, Joanne",
        ],
        "question": "How can I tell whether my skin is dry or just dehydrated?",
        "answer": [
            "Dry skin is a skin type: it makes little oil, feels rough and flaky and rarely "
            "looks shiny. Dehydrated skin is a state: it lacks water and can happen to any "
            "skin type, oily skin included.",
            "Tightness with a shiny nose sounds like dehydration. Look for:",
            [
                "fine lines that soften once you moisturise,",
                "a dull look by the afternoon,",
                "tightness after washing.",
            ],
            "A humectant such as glycerin or hyaluronic acid under a light moisturiser usually "
            "helps within a week or two.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "tight-after-washing",
        "title": "Why does my face feel tight after washing it?",
        "letter": None,
        "question": "Why does my face feel tight after washing it?",
        "answer": [
            "A squeaky-clean, tight feeling usually means the cleanser took away more of your "
            "skin’s own oils than it needed to.",
            "Try a milder, non-foaming cleanser, lukewarm rather than hot water, and put on your "
            "moisturiser while the skin is still a little damp.",
        ],
        "sign": "Good luck!",
    },
    {
        "slug": "winter-moisturiser",
        "title": "Switching creams in winter",
        "letter": [
            "Hi, my skin goes flaky every December. Should I switch to a richer moisturiser in "
            "winter, or just use more of my normal one?",
            "Thanks, Sam (Glasgow)",
        ],
        "question": "Should I switch to a richer moisturiser in winter, or just use more of my normal one?",
        "answer": [
            "A richer cream in the cold months makes sense for most people. Cold air and central "
            "heating both pull water out of the skin.",
            "Look for ceramides, shea butter or squalane, and keep your summer lotion for the "
            "mornings if the richer cream feels heavy under make-up.",
        ],
        "sign": "Cheers,\nDr Vera",
    },
    {
        "slug": "lip-scrubs",
        "title": "Lip scrubs for chapped lips",
        "letter": [
            "Dear Doctor, my lips are always chapped in winter. Are lip scrubs good for chapped "
            "lips or do they make it worse?",
        ],
        "question": "Are lip scrubs good for chapped lips or do they make it worse?",
        "answer": [
            "Gentle is the word. A soft scrub once a week can lift loose flakes, but scrubbing "
            "cracked, sore lips makes them worse.",
            "What helps more is a thick, plain balm (petrolatum or a lanolin-free ointment) put on "
            "often, especially at night, and not licking your lips.",
        ],
        "sign": "Warmly, Dr Vera",
    },
    {
        "slug": "makeup-after-facial",
        "title": "Make-up after a facial",
        "letter": [
            "Hello! I have a facial booked for the morning of my sister’s engagement party. How "
            "long after a facial can I wear makeup without ruining it?",
            "Love your blog, Ana",
        ],
        "question": "How long after a facial can I wear makeup without ruining it?",
        "answer": [
            "After a simple cleansing facial you can usually wear make-up the same evening.",
            "After extractions or a peel, wait 24 hours if you can: the skin is a little open and "
            "make-up can sting or clog it. Use clean brushes when you do.",
        ],
        "sign": "— Dr Vera",
    },
    {
        "slug": "drinking-water-skin",
        "title": "Does drinking more water help dry skin?",
        "letter": None,
        "question": "Does drinking more water help dry skin?",
        "answer": [
            "Only if you were not drinking enough in the first place. Once you are well hydrated, "
            "extra glasses of water do not reach the outer layer of the skin.",
            "Dry skin responds much better to what you put on it: a gentle cleanser and a good "
            "moisturiser.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "cleaning-makeup-brushes",
        "title": "Dirty brushes and breakouts",
        "letter": [
            "Dear Dr Vera,",
            "I get little spots along my cheeks and I wonder if it is my brushes. How often "
            "should I wash my makeup brushes and sponges?",
            "Kind regards, Lily",
        ],
        "question": "How often should I wash my makeup brushes and sponges?",
        "answer": [
            "A good rule of thumb:",
            [
                "Sponges: after every use, or at least twice a week.",
                "Foundation and concealer brushes: once a week.",
                "Powder and eye brushes: every two weeks.",
            ],
            "Wash them with a mild shampoo, rinse well and let them dry flat.",
        ],
        "sign": "Dr Vera x",
    },
    {
        "slug": "sleeping-in-makeup",
        "title": "Sleeping in make-up",
        "letter": [
            "Hi doctor, after a late shift I sometimes fall asleep in my make-up. Is it really "
            "bad to sleep in makeup once in a while?",
            "Thanks!! Chloe",
        ],
        "question": "Is it really bad to sleep in makeup once in a while?",
        "answer": [
            "Once in a while it will not ruin your skin. Doing it often can lead to clogged pores, "
            "irritated eyes and dull skin.",
            "Keep cleansing wipes or micellar water by the bed for the late nights, and wash "
            "properly in the morning.",
        ],
        "sign": "Take care,\nDr Vera",
    },
    {
        "slug": "hand-cream-on-face",
        "title": "Hand cream on my face?",
        "letter": [
            "Dear doctor, I ran out of face cream on holiday and used my hand cream instead. Can I "
            "use hand cream on my face, or is it bad for it?",
        ],
        "question": "Can I use hand cream on my face, or is it bad for it?",
        "answer": [
            "For a few days it is fine. Hand creams are often thicker and may carry more "
            "fragrance, so they can clog pores or irritate sensitive facial skin over time.",
            "A fragrance-free hand cream is the safer stand-in.",
        ],
        "sign": "Best wishes, Dr Vera",
    },
    {
        "slug": "face-mists",
        "title": "Do face mists actually hydrate skin?",
        "letter": None,
        "question": "Do face mists actually hydrate skin?",
        "answer": [
            "On their own, not for long. Water sprayed on the skin evaporates and can leave it "
            "feeling drier than before.",
            "A mist helps when you follow it with a moisturiser, or when it contains glycerin.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "stress-and-breakouts",
        "title": "Exam stress and spots",
        "letter": [
            "Dear Dr Vera, every exam season my chin breaks out. Can stress really make my skin "
            "break out, or is it a coincidence?",
            "Jess, 19",
        ],
        "question": "Can stress really make my skin break out, or is it a coincidence?",
        "answer": [
            "It is not a coincidence. Stress hormones can increase oil production, and stressed "
            "people sleep less and touch their faces more.",
            "Keep your routine simple during busy weeks and see a doctor if spots are deep or "
            "leave marks.",
        ],
        "sign": "Good luck with your exams!\nDr Vera",
    },
    {
        "slug": "coconut-oil-face",
        "title": "Coconut oil as a moisturiser",
        "letter": [
            "Hi Dr Vera, my aunt swears by coconut oil. Is coconut oil a good moisturiser for the "
            "face?",
        ],
        "question": "Is coconut oil a good moisturiser for the face?",
        "answer": [
            "It can work on the body and on very dry skin, but on the face it clogs pores for "
            "many people and can lead to spots.",
            "If you are prone to breakouts, choose a moisturiser labelled non-comedogenic instead.",
        ],
        "sign": "Warmly,\nDr Vera",
    },
    {
        "slug": "shaving-bumps-legs",
        "title": "Red bumps after shaving",
        "letter": [
            "Dear doctor, why do I get red bumps after shaving my legs? They itch for days.",
            "Thanks, Ruth",
        ],
        "question": "Why do I get red bumps after shaving my legs?",
        "answer": [
            "These are usually irritation or ingrown hairs.",
            "What helps:",
            [
                "Shave after a warm shower, with a sharp razor and a shaving gel.",
                "Shave in the direction the hair grows.",
                "Moisturise afterwards with a fragrance-free lotion.",
            ],
            "If the bumps are painful, filled with pus or keep coming back, see your doctor.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "hard-water-skin",
        "title": "Does hard water affect my skin?",
        "letter": None,
        "question": "Does hard water affect my skin?",
        "answer": [
            "Hard water leaves mineral traces that can make soap harder to rinse off, and some "
            "people with eczema notice their skin feels drier in hard-water areas.",
            "A gentle, soap-free cleanser and a moisturiser straight after washing help more than "
            "a shower filter for most people.",
        ],
        "sign": "All the best,\nDr Vera",
    },
    {
        "slug": "pore-strips",
        "title": "Pore strips on my nose",
        "letter": [
            "Hello Dr Vera! I love peeling off a nose strip and seeing all the gunk. Is it safe "
            "to use pore strips on my nose every week?",
            "Ben",
        ],
        "question": "Is it safe to use pore strips on my nose every week?",
        "answer": [
            "Now and then they are harmless, but they only pull out the top of the plugs, which "
            "come back within days. Used often, they can irritate the skin and break small "
            "vessels.",
            "A salicylic acid cleanser or toner a few times a week keeps pores clearer for longer.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "skincare-shelf-life",
        "title": "How long do skincare products last once opened?",
        "letter": None,
        "question": "How long do skincare products last once opened?",
        "answer": [
            "Look for the little open-jar symbol on the pack: “6M” or “12M” means months after "
            "opening.",
            "As a guide, vitamin C serums and mascara go off fastest (about three months), while "
            "most creams last six to twelve months. Throw out anything that changes smell, "
            "colour or texture.",
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "morning-face-wash",
        "title": "Morning cleanse?",
        "letter": [
            "Dear Doctor, I wash my face carefully at night. Should I wash my face in the morning "
            "as well, or is water enough?",
            "Thanks, Grace",
        ],
        "question": "Should I wash my face in the morning as well, or is water enough?",
        "answer": [
            "If your skin is dry or sensitive, a splash of lukewarm water in the morning is "
            "enough.",
            "If you are oily, use actives at night or sweat while you sleep, a gentle cleanser in "
            "the morning is a good idea.",
        ],
        "sign": "Warmly,\nDr Vera",
    },
]

# the HTML pages: other posts, a full saved page each
PAGES: list[dict] = [
    {
        "slug": "eyebrow-tint-allergy",
        "title": "Patch testing before a brow tint",
        "letter": [
            "Dear Dr Vera, my salon wants me to do a patch test 48 hours before an eyebrow tint. "
            "Do I really need a patch test before every eyebrow tint?",
            "Thanks, Amira",
        ],
        "question": "Do I really need a patch test before every eyebrow tint?",
        "answer": [
            "Yes, it is worth it. Tints can contain dyes that cause allergic reactions, and an "
            "allergy can start after years of tinting without trouble.",
            "A patch test 48 hours before each appointment is the usual advice.",
        ],
        "sign": "Warmly,\nDr Vera",
    },
    {
        "slug": "self-tan-patchy",
        "title": "Why is my fake tan patchy on my elbows and knees?",
        "letter": None,
        "question": "Why is my fake tan patchy on my elbows and knees?",
        "answer": [
            "Dry, thicker skin on elbows, knees and ankles soaks up more tan and develops darker.",
            "Before tanning:",
            [
                "Exfoliate gently the day before.",
                "Put a little moisturiser on elbows, knees and ankles.",
                "Use less product on those areas.",
            ],
        ],
        "sign": "Dr Vera",
    },
    {
        "slug": "sweaty-makeup",
        "title": "Make-up that melts",
        "letter": [
            "Hi! I work in a hot kitchen. How can I stop my makeup melting off when I sweat?",
            "Leah",
        ],
        "question": "How can I stop my makeup melting off when I sweat?",
        "answer": [
            "Use a light, oil-free moisturiser, a mattifying primer and a thin layer of "
            "long-wear foundation, then set it with powder.",
            "Blotting papers during the day take off sweat and oil without moving the make-up.",
        ],
        "sign": "Cheers,\nDr Vera",
    },
]

# the CSV rows: question, answer (plain text, or HTML), link, alternates
ROWS: list[dict] = [
    {
        "question": "Can I use a foot file on hard skin every day?",
        "answer": "No: every day is too often and can make the skin thicken back faster.\n\n"
        "Once a week on dry skin is enough:\n* soak your feet first\n* file gently\n"
        "* moisturise afterwards",
        "link": f"{SITE}/faq/foot-file",
        "alternates": "foot file how often | Is filing my heels daily bad?",
    },
    {
        "question": "Why do my nails peel in layers?",
        "answer": "<p>Peeling nails are usually dry nails: frequent hand washing &amp; cleaning "
        "products strip them.</p><p>Wear gloves for chores and rub a hand cream into your nails "
        "at night.</p>",
        "link": f"{SITE}/faq/peeling-nails",
        "alternates": "",
    },
    {
        "question": "Is it fine to use an expired sunscreen?",
        "answer": "Better not. After its expiry date a sunscreen may protect you less than its "
        "label says.",
        "link": f"{SITE}/faq/expired-sunscreen",
        "alternates": "old sunscreen still ok?",
    },
]
