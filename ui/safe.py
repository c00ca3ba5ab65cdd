"""Text from users and data files made inert before it reaches markdown.

Every Streamlit text element but ``st.text``/``st.code`` renders markdown (links, images,
emphasis, ``:red[...]`` colours, ``:material/...:`` icons). :func:`md` turns every character that
could start such syntax, and HTML, into a numeric character reference: the browser shows the
same characters, and no markdown or HTML parser sees syntax in them (this holds inside HTML blocks
too, where backslash escapes would show).
"""

from __future__ import annotations

import re

SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~:$&\"'=@]")
# GFM turns bare URLs, www. names and e-mail addresses into links even as plain text: a zero-width
# space after "//", "www" and "@" keeps them what they are, text.
AUTOLINK = re.compile(r"(?<=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
ZWSP = "\u200b"


def md(text) -> str:
    """``text`` (any value; None gives '') safe to put into markdown or into HTML in markdown.

    Examples
    --------
    >>> md("**notice** [log in](http://x)")
    '&#42;&#42;notice&#42;&#42; &#91;log in&#93;&#40;http&#58;//x&#41;'
    """
    if text is None:
        return ""
    flat = " ".join(str(text).split())  # no line breaks: a newline could start a heading or a list
    flat = AUTOLINK.sub(ZWSP, flat) if ("//" in flat or "@" in flat or "www" in flat.lower()) else flat
    return SPECIAL.sub(lambda m: f"&#{ord(m.group())};", flat)
