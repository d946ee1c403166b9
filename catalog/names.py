"""When two names are the same name.

"AITO", "aito", "ＡＩＴＯ" (full-width), "AI\u200bTO" (a zero-width space inside) and "АITO"
(a Cyrillic А) all read as one name to a person, so the catalog treats them as one for
uniqueness: a second brand, company, chip... under a look-alike name is refused, naming
the one it collides with. Invisible characters are refused outright in names.
"""

import unicodedata

# Letters of other scripts drawn exactly like a Latin letter (Unicode's confusables for
# the Cyrillic and Greek letters met in practice), by the Latin letter they imitate.
LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m",
        "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ё": "e", "ї": "i",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j", "ζ": "z",
    }
)  # fmt: skip

# Characters a reader cannot see: format controls (zero-width spaces and joiners,
# directional marks, the byte-order mark), other controls, line and paragraph separators.
INVISIBLE_CATEGORIES = {"Cf", "Cc", "Zl", "Zp"}


def invisible_characters(text):
    """The invisible characters in `text`, as U+XXXX codes (empty if none)."""
    return sorted(
        {
            f"U+{ord(char):04X}"
            for char in text
            if unicodedata.category(char) in INVISIBLE_CATEGORIES
        }
    )


def name_key(text):
    """What a name is for uniqueness: NFKC-normalised (full-width and compatibility forms
    folded), invisible characters dropped, case-folded, look-alike letters read as the
    Latin letter they imitate, and runs of spaces as one."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(
        char for char in folded if unicodedata.category(char) not in INVISIBLE_CATEGORIES
    )
    folded = folded.casefold().translate(LOOKALIKES)
    return " ".join(folded.split())
